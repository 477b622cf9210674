/* gzip.h -- our own DEFLATE (RFC 1951) compressor and gzip (RFC 1952) framing.
 *
 * The static binary carries no zlib, and pprof wants gzip, so this is a small
 * one-shot compressor: LZ77 over a 32 KiB window with hash chains and one-step
 * lazy matching, then each block is coded with whichever of dynamic Huffman,
 * fixed Huffman or stored is smallest. Output is deterministic (mtime 0), so
 * the same profile always gives the same bytes.
 *
 * Promises:
 *  - Output is a single valid gzip member that gzip(1), zlib and Python's gzip
 *    module decompress to exactly the input.
 *  - Allocation failure returns -1 and leaves *out NULL; nothing aborts.
 */
#ifndef CSPROF_GZIP_H
#define CSPROF_GZIP_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 as gzip uses it (reflected, polynomial 0xEDB88320). Start with
 * crc = 0 and pass the previous result to continue over more data. */
uint32_t gz_crc32(uint32_t crc, const void *data, size_t len);

/* Raw DEFLATE stream of in[0..len) into a malloc'd *out of *outlen bytes.
 * Returns 0, or -1 on allocation failure. */
int gz_deflate(const void *in, size_t len, unsigned char **out, size_t *outlen);

/* The same wrapped as a gzip member (header, deflate data, CRC-32, size). */
int gz_compress(const void *in, size_t len, unsigned char **out, size_t *outlen);

#endif
