/** A file:// URL string for an absolute path (no node:url import on hot paths). */
export function toFileUrl(path: string): string {
  return "file://" + path.split("/").map(encodeURIComponent).join("/");
}
