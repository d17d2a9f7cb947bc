/* sigsynth: small JSON writing helpers over sx_strbuf (no DOM, no malloc
 * beyond the buffer's growth). */
#ifndef SX_JSON_H
#define SX_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* A JSON string literal with quotes; escapes control characters, quotes and
 * backslashes; invalid UTF-8 never reaches here (inputs are validated). */
void sx_json_str(sx_strbuf *b, const char *s);
void sx_json_strn(sx_strbuf *b, const char *s, size_t len);
/* 64-bit integers as JSON strings, as the protobuf JSON mapping requires. */
void sx_json_u64str(sx_strbuf *b, uint64_t v);
void sx_json_i64str(sx_strbuf *b, int64_t v);
void sx_json_u64(sx_strbuf *b, uint64_t v);
/* Shortest decimal text that reads back as the same finite double (integers
 * without a fraction); returns the length. */
size_t sx_double_text(double v, char *buf, size_t size);

/* Shortest text that reads back as the same double; "NaN", "Infinity" and
 * "-Infinity" as strings (protobuf JSON). */
void sx_json_double(sx_strbuf *b, double v);
/* Lowercase hex in quotes (OTLP JSON trace and span ids). */
void sx_json_hex(sx_strbuf *b, const uint8_t *id, size_t len);

#endif
