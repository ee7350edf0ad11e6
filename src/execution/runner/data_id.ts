// The stable id swamp's APIs report for a data item. Here, inside the
// runner's own directory (it imports nothing outside it), so the runner can
// give a file writer its dataId as swamp does, without asking the host;
// src/models/api/ids.ts re-exports it for everything else.

// cyrb128: a small, synchronous 128-bit string hash (not cryptographic;
// it only has to be stable and well spread).
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * The id of a data item: stable across its versions and UUID-shaped like
 * swamp's. swamp draws a random UUID at the first write; here it is
 * derived from the model id and the data name (which share one namespace
 * per definition), so no extra state is stored and every reader agrees.
 */
export function dataIdFor(modelId: string, dataName: string): string {
  const hex = cyrb128(`swamp-data:${modelId}/${dataName}`).map((n) =>
    n.toString(16).padStart(8, "0")
  ).join("");
  // version nibble 8 (custom), RFC 4122 variant bits
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${
    hex.slice(13, 16)
  }-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
