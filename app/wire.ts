// Message framing for the WebSocket binding: MessagePack with extension types so typed arrays
// (label maps, pixels, masks) cross as binary, never as JSON arrays of numbers.
import { ExtensionCodec, encode, decode } from '@msgpack/msgpack';
import type { EventName, Events, MethodName, Reply } from './contract';
import { MAX_MESSAGE_BYTES } from './limits';

type TypedCtor = Uint16ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor | Int16ArrayConstructor | Uint8ClampedArrayConstructor;
const typed: [number, TypedCtor][] = [
  [1, Uint16Array],
  [2, Uint32Array],
  [3, Int32Array],
  [4, Float32Array],
  [5, Float64Array],
  [6, Int16Array],
  [7, Uint8ClampedArray],
];

const codec = new ExtensionCodec();
for (const [type, Ctor] of typed) {
  codec.register({
    type,
    encode: (v: unknown) => (v instanceof Ctor ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null),
    // Copy into a fresh, aligned buffer: the decoded bytes are a view at an arbitrary offset.
    decode: (bytes: Uint8Array) => {
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      return new Ctor(copy.buffer);
    },
  });
}

type ClientMessage = { t: 'call'; id: number; method: MethodName; args: unknown };
export type ServerMessage =
  | { t: 'reply'; id: number; reply: Reply<unknown> }
  | { t: 'event'; name: EventName; payload: Events[EventName] };

export function encodeMessage(m: ClientMessage | ServerMessage): Uint8Array {
  return encode(m, { extensionCodec: codec, ignoreUndefined: true });
}

/** Decodes one frame; limits keep a hostile frame from allocating without bound. */
export function decodeMessage(bytes: Uint8Array): unknown {
  return decode(bytes, { extensionCodec: codec, maxStrLength: 64 * 1024 * 1024, maxBinLength: MAX_MESSAGE_BYTES, maxArrayLength: 10_000_000, maxMapLength: 100_000, maxExtLength: MAX_MESSAGE_BYTES });
}
