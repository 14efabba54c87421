// Schemas shared by several routes (registered by $id): the error body and the video, whose
// schema is core's (the same one its serialisers are compiled from).
import { Type } from 'typebox';
import { VideoSchema } from '@tubefeed/core';

export const ErrorBody = Type.Object(
  {
    isError: Type.Literal(true),
    message: Type.String({ description: 'What went wrong, naming the parameter at fault' }),
  },
  { $id: 'ErrorBody', description: 'Every error response has this shape' },
);

export const Video = VideoSchema;

/** Responses every route can give besides its own. */
export const errorResponses = {
  400: Type.Ref('ErrorBody'),
  503: Type.Ref('ErrorBody'),
  500: Type.Ref('ErrorBody'),
} as const;

/** `query`: a followed search query's text, as every listing takes it. */
export const queryParam = (description = 'Only videos found by this followed search query') =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 200, description }));

/** `channel`: a YouTube channel id, as every listing takes it. */
export const channelParam = (description = 'a YouTube channel id (letters, digits, _ and -)') =>
  Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description, examples: ['UCddiUEpeqJcYeBxX1IVBKvQ'] }));
