// REDIS_URL in its two forms: one server (`redis://` or `rediss://`, as ioredis reads it), or a
// Redis Cluster given by some of its nodes (`redis-cluster://host1:port1,host2:port2`, or
// `rediss-cluster://` for TLS; user and password as in any URL). The client asks the seed nodes
// for the rest of the cluster, so two or three of them are enough, and a cluster has no database
// number: the path is empty.

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export type RedisTarget =
  | { readonly kind: 'server'; readonly url: string }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly RedisNode[];
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
    };

export const REDIS_URL_FORMS =
  'redis://[user:password@]host:port[/db] (or rediss:// for TLS) for one server, or ' +
  'redis-cluster://[user:password@]host1:port1,host2:port2,... (or rediss-cluster://) for a Redis Cluster';

const CLUSTER_URL = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/i;
const NODE = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/;

function decode(part: string | undefined): string | undefined {
  if (part === undefined || part === '') return undefined;
  return decodeURIComponent(part);
}

/** What REDIS_URL names, or null when it is neither form. */
export function parseRedisUrl(value: string): RedisTarget | null {
  const cluster = CLUSTER_URL.exec(value.trim());
  if (cluster !== null) {
    const [, scheme = '', userinfo, hostList = ''] = cluster;
    const nodes: RedisNode[] = [];
    for (const entry of hostList.split(',')) {
      const node = NODE.exec(entry.trim());
      if (node === null) return null;
      const port = node[3] === undefined ? 6379 : Number(node[3]);
      if (port < 1 || port > 65535) return null;
      nodes.push({ host: node[1] ?? node[2] ?? '', port });
    }
    const colon = userinfo?.indexOf(':') ?? -1;
    try {
      return {
        kind: 'cluster',
        nodes,
        username: decode(colon === -1 ? userinfo : userinfo?.slice(0, colon)),
        password: decode(colon === -1 ? undefined : userinfo?.slice(colon + 1)),
        tls: scheme.toLowerCase() === 'rediss',
      };
    } catch {
      return null; // malformed percent-encoding
    }
  }
  try {
    const url = new URL(value);
    return url.protocol === 'redis:' || url.protocol === 'rediss:' ? { kind: 'server', url: value } : null;
  } catch {
    return null;
  }
}
