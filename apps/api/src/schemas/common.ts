// Schemas shared by several routes: the error body and the feed's video.
import { Type } from 'typebox';
import { videoJsonSchema } from '@tubefeed/core';

export const ErrorBody = Type.Object(
  {
    isError: Type.Literal(true),
    message: Type.String({ description: 'What went wrong, naming the parameter at fault' }),
  },
  { $id: 'ErrorBody', description: 'Every error response has this shape' },
);

export const Video = Type.Unsafe<Record<string, unknown>>({ ...videoJsonSchema, $id: 'Video' });

/** Responses every route can give besides its own. */
export const errorResponses = {
  400: Type.Ref('ErrorBody'),
  503: Type.Ref('ErrorBody'),
  500: Type.Ref('ErrorBody'),
} as const;
