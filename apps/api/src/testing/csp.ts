// Reads a Content-Security-Policy header back into directives, for comparing with a policy.
export function parseCsp(header: string | null | undefined): Record<string, string[]> {
  const directives: Record<string, string[]> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') directives[name.toLowerCase()] = values;
  }
  return directives;
}
