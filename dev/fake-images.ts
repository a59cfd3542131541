/**
 * Real image bytes for the fake's image server, built here so tests never need the
 * internet: a PNG (zlib + CRC, decodable), a baseline JPEG (one flat 8×8 block with
 * one-code Huffman tables, decodable), a GIF, and a PNG well over WeChat's 2 MB limit.
 */
import { crc32, deflateSync } from 'node:zlib'

export interface FakeImage {
  contentType: string
  bytes: Buffer
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(typed))
  return Buffer.concat([length, typed, crc])
}

/** An RGB PNG; `noise` fills it with incompressible pixels so size follows dimensions. */
export function makePng(width: number, height: number, noise = false): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit, truecolour, deflate, no filter method, no interlace
  const row = 1 + width * 3
  const raw = Buffer.alloc(row * height, 0x7f)
  let seed = 0x2545f491
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0 // filter: none
    if (!noise) continue
    for (let x = 1; x < row; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0 // a fixed LCG: the same bytes every run
      raw[y * row + x] = seed >>> 24
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw, { level: noise ? 0 : 6 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/**
 * An 8×8 mid-grey baseline JPEG. With every sample at 128 the only coefficient is a zero
 * DC, so one Huffman code per table (category 0, EOB) encodes the scan: bits `00`, padded.
 */
export function makeJpeg(): Buffer {
  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body]
  const oneCodeTable = (tableClass: number) => [tableClass << 4, 1, ...new Array<number>(15).fill(0), 0]
  return Buffer.from([
    0xff,
    0xd8, // SOI
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // APP0 JFIF 1.1
    ...segment(0xdb, [0, ...new Array<number>(64).fill(1)]), // DQT 0: all ones
    ...segment(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]), // SOF0: 8 bits, 8×8, one component
    ...segment(0xc4, oneCodeTable(0)), // DHT DC 0
    ...segment(0xc4, oneCodeTable(1)), // DHT AC 0
    ...segment(0xda, [1, 1, 0, 0, 63, 0]), // SOS
    0x3f, // DC "0" + EOB "0", padded with ones
    0xff,
    0xd9, // EOI
  ])
}

/** A 1×1 GIF89a. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

let large: Buffer | undefined

/** 1024×1024 RGB of noise, stored uncompressed: about 3 MiB. Built on first use. */
function largePng(): Buffer {
  large ??= makePng(1024, 1024, true)
  return large
}

const small = { png: makePng(4, 4), jpeg: makeJpeg() }

/**
 * The image for a request path's last segment, or null for a 404.
 * `toolarge.png` is over 2 MB; `notimage.<ext>` is HTML served with the image's type;
 * `missing.<ext>` is a 404; any other `<name>.png|.jpg|.jpeg|.gif` is a small real image.
 */
export function fakeImage(fileName: string): FakeImage | null {
  const match = /^([\w.-]+)\.(png|jpe?g|gif)$/i.exec(fileName)
  if (!match) return null
  const [, name = '', ext = ''] = match
  const type = ext.toLowerCase() === 'png' ? 'image/png' : ext.toLowerCase() === 'gif' ? 'image/gif' : 'image/jpeg'
  if (name === 'missing') return null
  if (name === 'notimage') return { contentType: type, bytes: Buffer.from('<!doctype html><p>not an image</p>') }
  if (name === 'toolarge') return { contentType: type, bytes: largePng() }
  if (type === 'image/png') return { contentType: type, bytes: small.png }
  if (type === 'image/gif') return { contentType: type, bytes: GIF }
  return { contentType: type, bytes: small.jpeg }
}

/** The image types the fake media/upload accepts, by magic bytes (as WeChat checks). */
export function sniffUpload(bytes: Buffer): 'png' | 'jpeg' | 'gif' | null {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png'
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'jpeg'
  if (bytes.subarray(0, 6).toString('latin1') === 'GIF89a' || bytes.subarray(0, 6).toString('latin1') === 'GIF87a') return 'gif'
  return null
}
