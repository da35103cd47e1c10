/* Writing arbitrary strings (driver names, vendor messages, case names)
 * into JSON and XML so both always parse: the format's special characters
 * are escaped, control bytes XML 1.0 cannot hold and bytes that are not
 * valid UTF-8 become '?'. */
#include "conformance.h"

/* Length of the valid UTF-8 sequence starting at p (1..4), 0 if invalid. */
static int utf8_length(const unsigned char *p)
{
    int n;
    unsigned min;
    if (p[0] < 0x80)
        return 1;
    if ((p[0] & 0xe0) == 0xc0) {
        n = 2;
        min = 0x80;
    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3;
        min = 0x800;
    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = p[0] & (0x7fu >> n);
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Copies one valid UTF-8 sequence (or '?') and returns the bytes consumed. */
static int put_utf8(FILE *f, const unsigned char *p)
{
    int n = utf8_length(p);
    if (n == 0) {
        fputc('?', f);
        return 1;
    }
    fwrite(p, 1, (size_t)n, f);
    return n;
}

void conf_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fprintf(f, "\\u%04x", *p);
                break;
            }
            p += put_utf8(f, p);
            continue;
        }
        p++;
    }
    fputc('"', f);
}

void conf_xml_string(FILE *f, const char *s, int attribute)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        case '\n':
        case '\r':
        case '\t':
            /* Attribute values normalize raw whitespace away; keep it. */
            if (attribute)
                fprintf(f, "&#%d;", *p);
            else
                fputc(*p, f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fputc('?', f);
                break;
            }
            p += put_utf8(f, p);
            continue;
        }
        p++;
    }
}

const char *conf_text(char *dst, size_t len, const char *s)
{
    size_t n = 0;
    if (!len)
        return dst;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int w = *p < 0x20 || *p == 0x7f ? 1 : utf8_length(p);
        if (n + (size_t)(w ? w : 1) >= len)
            break;
        if (*p == '\n' || *p == '\r' || *p == '\t')
            dst[n++] = ' ';
        else if (*p < 0x20 || *p == 0x7f || w == 0)
            dst[n++] = '?';
        else
            for (int i = 0; i < w; i++)
                dst[n++] = (char)p[i];
        p += w ? w : 1;
    }
    dst[n] = '\0';
    return dst;
}
