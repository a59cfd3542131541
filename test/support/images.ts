/**
 * Image bytes for the upload tests: a PNG's or a JPEG's magic, then random bytes, so each test
 * has an image no other test stored (the name is the bytes' hash).
 */

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
const JPEG_MAGIC = [0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]
const GIF_MAGIC = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]

function image(magic: number[], size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(Math.max(size, magic.length + 16))
  crypto.getRandomValues(bytes.subarray(magic.length, magic.length + 16))
  bytes.set(magic)
  return bytes
}

export const png = (size = 64) => image(PNG_MAGIC, size)
export const jpeg = (size = 64) => image(JPEG_MAGIC, size)
export const gif = (size = 64) => image(GIF_MAGIC, size)
