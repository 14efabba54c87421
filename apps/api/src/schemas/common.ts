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
