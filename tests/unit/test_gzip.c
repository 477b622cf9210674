/* test_gzip.c -- our DEFLATE/gzip writer against the reference decoders:
 * gzip(1) (-t and -dc) and Python's gzip module (zlib). Every case is
 * decompressed and compared byte for byte; compression ratios are printed
 * and bounded where the data makes a bound certain. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "gzip.h"

static char tmpdir[] = "/tmp/csprof-gzip-XXXXXX";

/* xorshift32: every bit position is usable, unlike an LCG's low bits */
static uint32_t rng_state = 2463534242u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    for (;;) {
        if (n == cap) b = realloc(b, cap *= 2);
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    *len = n;
    return b;
}

/* Compresses data, checks it with gzip -t, gzip -dc and Python's gzip, and
 * returns the compressed size (0 on any failure, which is also CHECKed). */
static size_t round_trip(const char *label, const unsigned char *data, size_t len) {
    unsigned char *gz = NULL;
    size_t gzlen = 0;
    CHECK(gz_compress(data, len, &gz, &gzlen) == 0);
    if (!gz) return 0;
    char in[256], out[256], raw[256], cmd[1024];
    snprintf(in, sizeof in, "%s/%s.gz", tmpdir, label);
    snprintf(out, sizeof out, "%s/%s.out", tmpdir, label);
    snprintf(raw, sizeof raw, "%s/%s.raw", tmpdir, label);
    CHECK(write_file(in, gz, gzlen) == 0);
    CHECK(write_file(raw, data, len) == 0);
    free(gz);

    snprintf(cmd, sizeof cmd, "gzip -t '%s'", in);
    int rc_t = system(cmd);
    CHECK_EQ_INT(rc_t, 0);
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s'", in, out);
    CHECK_EQ_INT(system(cmd), 0);
    size_t olen = 0;
    unsigned char *back = read_file(out, &olen);
    CHECK(back != NULL);
    CHECK_EQ_INT(olen, len);
    CHECK(back && olen == len && (len == 0 || memcmp(back, data, len) == 0));
    free(back);

    snprintf(cmd, sizeof cmd,
             "python3 -c 'import gzip,sys; a=gzip.open(sys.argv[1]).read(); "
             "b=open(sys.argv[2],\"rb\").read(); sys.exit(0 if a==b else 1)' '%s' '%s'",
             in, raw);
    CHECK_EQ_INT(system(cmd), 0);
    printf("     %-22s %9zu -> %8zu bytes (%.3f)\n", label, len, gzlen,
           len ? (double)gzlen / (double)len : 0.0);
    unlink(in);
    unlink(out);
    unlink(raw);
    return gzlen;
}

TEST(crc32_known_values) {
    CHECK_EQ_INT(gz_crc32(0, "123456789", 9), 0xCBF43926u);
    CHECK_EQ_INT(gz_crc32(0, "", 0), 0);
    /* continuing over pieces equals one pass */
    uint32_t c = gz_crc32(0, "1234", 4);
    CHECK_EQ_INT(gz_crc32(c, "56789", 5), 0xCBF43926u);
}

TEST(tiny_inputs) {
    round_trip("empty", (const unsigned char *)"", 0);
    round_trip("one-byte", (const unsigned char *)"x", 1);
    round_trip("abc", (const unsigned char *)"abc", 3);
    round_trip("abcabcabca", (const unsigned char *)"abcabcabca", 10);
}

TEST(long_run_compresses) {
    size_t n = 100000;
    unsigned char *d = malloc(n);
    memset(d, 'a', n);
    size_t z = round_trip("run-100k", d, n);
    /* distance-1 matches of 258 bytes: a few bits per 258 input bytes */
    CHECK(z > 0 && z < 1000);
    free(d);
}

TEST(text_compresses) {
    static const char *words[] = {"def", "return", "self", "profile", "sample", "frame",
                                  "stack", "import", "numpy", "for", "in", "range",
                                  "thread", "time", "while", "if", "else", "json"};
    size_t cap = 400000, n = 0;
    unsigned char *d = malloc(cap);
    while (n + 16 < cap) {
        const char *w = words[rnd() % (sizeof words / sizeof words[0])];
        size_t l = strlen(w);
        memcpy(d + n, w, l);
        n += l;
        d[n++] = (rnd() % 9 == 0) ? '\n' : ' ';
    }
    size_t z = round_trip("words-400k", d, n);
    /* 18 words: well under 3 bits of entropy per character */
    CHECK(z > 0 && z < n / 3);
    free(d);
}

TEST(random_data_falls_back_to_stored) {
    size_t n = 200000;
    unsigned char *d = malloc(n);
    for (size_t i = 0; i < n; i++) d[i] = (unsigned char)rnd();
    size_t z = round_trip("random-200k", d, n);
    /* incompressible: stored blocks keep the overhead to a few bytes per 64 KiB */
    CHECK(z > 0 && z <= n + 18 + 5 * (n / 65535 + 1) + 64);
    free(d);
}

TEST(block_boundaries_and_window_edges) {
    /* exactly one block of literals, then one more symbol */
    size_t n = 16384;
    unsigned char *d = malloc(3 * 65536);
    for (size_t i = 0; i < n; i++) d[i] = (unsigned char)rnd();
    round_trip("literals-16384", d, n);
    round_trip("literals-16385", d, n + 1);
    /* a repeat exactly 32768 bytes back (the farthest DEFLATE can reach),
     * and one 32769 back (which must not be used as a match) */
    for (size_t i = 0; i < 3 * 65536; i++) d[i] = (unsigned char)rnd();
    memcpy(d + 32768, d, 1000);
    memcpy(d + 100000 + 32769, d + 100000, 1000);
    round_trip("window-edges", d, 3 * 65536);
    free(d);
}

TEST(skewed_frequencies_need_length_limit) {
    /* Fibonacci-like symbol counts make the unrestricted Huffman tree deeper
     * than 15 bits; the limited code must still be valid and complete. */
    size_t cap = 1 << 22, n = 0;
    unsigned char *d = malloc(cap);
    uint64_t a = 1, b = 1;
    for (int sym = 0; sym < 30 && n < cap; sym++) {
        for (uint64_t k = 0; k < a && n < cap; k++) d[n++] = (unsigned char)(sym * 7 + 1);
        uint64_t c = a + b;
        a = b;
        b = c;
    }
    /* shuffle so LZ77 cannot just turn it into runs */
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd() % i;
        unsigned char t = d[i - 1];
        d[i - 1] = d[j];
        d[j] = t;
    }
    round_trip("fibonacci-skew", d, n);
    free(d);
}

TEST(every_byte_value_and_mixed) {
    size_t n = 1 << 20;
    unsigned char *d = malloc(n);
    for (size_t i = 0; i < n; i++) {
        /* text-like stretches, copies from far back, and noise */
        size_t phase = (i / 5000) % 3;
        if (phase == 0) d[i] = (unsigned char)(i & 0xff);
        else if (phase == 1 && i > 20000) d[i] = d[i - 20000 + (rnd() % 3 == 0)];
        else d[i] = (unsigned char)(rnd() % 16 + 'a');
    }
    round_trip("mixed-1M", d, n);
    free(d);
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(crc32_known_values);
    RUN(tiny_inputs);
    RUN(long_run_compresses);
    RUN(text_compresses);
    RUN(random_data_falls_back_to_stored);
    RUN(block_boundaries_and_window_edges);
    RUN(skewed_frequencies_need_length_limit);
    RUN(every_byte_value_and_mixed);
    rmdir(tmpdir);
    return check_summary();
}
