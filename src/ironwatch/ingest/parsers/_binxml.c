/* ironwatch.ingest.parsers._binxml: Windows EVTX chunks read straight into Python dicts.
 *
 * Optional, like ironwatch.detect._speedups: setup.py builds it when a C compiler is present and
 * ironwatch.ingest.parsers.evtx_records uses it then; otherwise (and for any file this reader does
 * not understand) records come from the ``evtx`` package's records_json() decoded with orjson.
 * The two give equal documents: tests/unit/ingest/test_evtx_records.py compares them on every
 * record of the corpus and on hand-made chunks.
 *
 *   Records(data, offset)  an iterator over the records of the 64 KiB chunk at ``offset``, each
 *                          as (record_id, document), read one at a time
 *
 * A document is what the ``evtx`` package's JSON gives for a record: {"Event": {...}}, elements by
 * name, attributes under "#attributes" (null ones left out), text under "#text" when an element
 * also has attributes, <Data Name="X">v</Data> as "X": v, unnamed <Data> texts under
 * "Data"/"#text" (a list from the second on), typed values as JSON would carry them (integers as
 * ints, hex integers, GUIDs, SIDs, file times and binary as the text ``evtx`` writes).
 *
 * Anything this reader does not handle (an unknown token or value type, a record that runs past
 * its chunk, nesting deeper than MAX_DEPTH) raises BinXmlError: the caller then reads the whole
 * file with ``evtx`` instead, so no record is lost or read differently. Every read is bounds
 * checked against the chunk; no reference to ``data`` is kept after a call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define CHUNK_SIZE 65536u
#define CHUNK_HEADER_SIZE 512u
#define NAME_SLOTS 1024u /* power of two; a chunk rarely names more than ~200 things */
#define MAX_DEPTH 48
#define MAX_SUBSTITUTIONS 4096u

static PyObject *BinXmlError;
static PyObject *k_attributes, *k_text, *k_data, *k_name, *k_empty;

typedef struct {
    uint32_t offset;
    PyObject *name; /* strong reference, interned */
} NameSlot;

typedef struct {
    const uint8_t *base; /* the chunk's first byte */
    NameSlot names[NAME_SLOTS];
} Chunk;

typedef struct {
    uint32_t offset; /* of the value, chunk-relative */
    uint16_t size;
    uint8_t type;
} Substitution;

typedef struct {
    const Substitution *items;
    uint32_t count;
} Substitutions;

/* What one element collects before it becomes a value in its parent. */
typedef struct {
    PyObject *attributes; /* dict or NULL */
    PyObject *children;   /* dict or NULL */
    PyObject *text;       /* value or NULL */
} Node;

static int
fail(uint32_t offset, const char *what)
{
    PyErr_Format(BinXmlError, "%s at chunk offset 0x%x", what, (unsigned)offset);
    return -1;
}

#define NEED(pos, n)                                                                             \
    do {                                                                                         \
        if ((uint64_t)(pos) + (uint64_t)(n) > end)                                               \
            return fail((pos), "truncated BinXML");                                              \
    } while (0)

#define NEED_OR_ERROR(pos, n)                                                                    \
    do {                                                                                         \
        if ((uint64_t)(pos) + (uint64_t)(n) > end) {                                             \
            fail((pos), "truncated BinXML");                                                     \
            goto error;                                                                          \
        }                                                                                        \
    } while (0)

static inline uint16_t
u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t
u64(const uint8_t *p)
{
    return (uint64_t)u32(p) | ((uint64_t)u32(p + 4) << 32);
}

/* UTF-16LE code units as a str (canonical kind: ASCII, Latin-1 or UCS-2 built directly; text with
 * surrogates through the codec, unpaired ones replaced as ``evtx`` does). */
static PyObject *
utf16(const uint8_t *p, Py_ssize_t units)
{
    uint16_t bits = 0;
    int surrogates = 0;
    for (Py_ssize_t i = 0; i < units; i++) {
        uint16_t unit = u16(p + 2 * i);
        bits |= unit;
        surrogates |= (unit & 0xF800) == 0xD800;
    }
    if (surrogates) { /* pairs decode; a lone surrogate (evtx drops it) is left to evtx */
        int order = -1;
        PyObject *text = PyUnicode_DecodeUTF16((const char *)p, units * 2, "strict", &order);
        if (text == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            PyErr_Clear();
            PyErr_SetString(BinXmlError, "UTF-16 text with a lone surrogate");
        }
        return text;
    }
    PyObject *text = PyUnicode_New(units, bits < 0x80 ? 127 : bits < 0x100 ? 255 : 65535);
    if (text == NULL)
        return NULL;
    if (bits < 0x100) {
        Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < units; i++)
            out[i] = p[2 * i];
    }
    else {
        Py_UCS2 *out = PyUnicode_2BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < units; i++)
            out[i] = u16(p + 2 * i);
    }
    return text;
}

/* A UTF-16 value of ``size`` bytes without its trailing NULs. */
static PyObject *
utf16_value(const uint8_t *p, uint32_t size)
{
    Py_ssize_t units = size / 2;
    while (units > 0 && u16(p + 2 * (units - 1)) == 0)
        units--;
    return utf16(p, units);
}

/* The slot of ``key`` in the chunk's table: the one holding it, or the empty one to fill. */
static NameSlot *
slot_for(Chunk *c, uint32_t key)
{
    uint32_t slot = (key * 2654435761u >> 8) & (NAME_SLOTS - 1);
    for (uint32_t probe = 0; probe < NAME_SLOTS; probe++, slot = (slot + 1) & (NAME_SLOTS - 1)) {
        NameSlot *entry = &c->names[slot];
        if (entry->name == NULL || entry->offset == key)
            return entry;
    }
    PyErr_SetString(BinXmlError, "too many names in one chunk");
    return NULL;
}

/* Interned text of ``units`` UTF-16 units at ``offset``, kept in the chunk's table under ``key``
 * (a chunk's names and template texts are shared by all its records). */
static PyObject *
cached_text(Chunk *c, uint32_t key, uint32_t offset, uint32_t units)
{
    NameSlot *entry = slot_for(c, key);
    if (entry == NULL)
        return NULL;
    if (entry->name != NULL)
        return entry->name;
    PyObject *text = utf16(c->base + offset, units);
    if (text == NULL)
        return NULL;
    PyUnicode_InternInPlace(&text);
    entry->offset = key;
    entry->name = text;
    return text;
}

#define TEXT_KEY 0x80000000u /* table keys of template texts; names are keyed by their offset */

/* The interned name at ``offset``. */
static PyObject *
name_at(Chunk *c, uint32_t offset, uint32_t end)
{
    if ((uint64_t)offset + 8 > end || (uint64_t)offset + 8 + 2u * u16(c->base + offset + 6) > end) {
        fail(offset, "name outside the chunk");
        return NULL;
    }
    return cached_text(c, offset, offset + 8, u16(c->base + offset + 6));
}

/* Read a name reference at *pos (u32 offset), skipping the name when it is defined inline. */
static PyObject *
read_name(Chunk *c, uint32_t *pos, uint32_t end)
{
    if ((uint64_t)*pos + 4 > end) {
        fail(*pos, "truncated BinXML");
        return NULL;
    }
    uint32_t offset = u32(c->base + *pos);
    *pos += 4;
    PyObject *name = name_at(c, offset, end);
    if (name == NULL)
        return NULL;
    if (offset == *pos) { /* defined here: next(4) hash(2) count(2) chars NUL(2) */
        *pos += 8 + 2u * (uint32_t)PyUnicode_GET_LENGTH(name) + 2;
        if (*pos > end) {
            fail(offset, "truncated name");
            return NULL;
        }
    }
    return name;
}

static const char hex_upper[] = "0123456789ABCDEF";

/* ``width`` decimal digits of value (zero padded) at out. */
static void
digits(Py_UCS1 *out, uint64_t value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (Py_UCS1)('0' + value % 10);
        value /= 10;
    }
}

/* ``width`` upper-case hex digits of value at out. */
static void
hex_digits(Py_UCS1 *out, uint64_t value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (Py_UCS1)hex_upper[value & 15];
        value >>= 4;
    }
}

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ", as evtx writes file and system times. */
static PyObject *
iso_time(unsigned year, unsigned month, unsigned day, unsigned hour, unsigned minute, unsigned second,
         uint64_t micros)
{
    PyObject *text = PyUnicode_New(27, 127);
    if (text == NULL)
        return NULL;
    Py_UCS1 *o = PyUnicode_1BYTE_DATA(text);
    digits(o, year, 4);
    o[4] = '-';
    digits(o + 5, month, 2);
    o[7] = '-';
    digits(o + 8, day, 2);
    o[10] = 'T';
    digits(o + 11, hour, 2);
    o[13] = ':';
    digits(o + 14, minute, 2);
    o[16] = ':';
    digits(o + 17, second, 2);
    o[19] = '.';
    digits(o + 20, micros, 6);
    o[26] = 'Z';
    return text;
}

static PyObject *
file_time(uint64_t ticks)
{
    /* 100 ns ticks since 1601-01-01 -> "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
    uint64_t micros = (ticks / 10) % 1000000, seconds = ticks / 10000000;
    int64_t days = (int64_t)(seconds / 86400) - 134774; /* days since 1970-01-01 */
    unsigned rest = (unsigned)(seconds % 86400);
    /* civil_from_days (H. Hinnant) */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t year = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned day = doy - (153 * mp + 2) / 5 + 1;
    unsigned month = mp < 10 ? mp + 3 : mp - 9;
    year += month <= 2;
    if (year < 0 || year > 9999) {
        PyErr_SetString(BinXmlError, "file time out of range");
        return NULL;
    }
    return iso_time((unsigned)year, month, day, rest / 3600, rest / 60 % 60, rest % 60, micros);
}

/* SYSTEMTIME (year, month, weekday, day, hour, minute, second, milliseconds as u16) in the
 * file-time format; out-of-range fields are left to evtx. */
static PyObject *
system_time(const uint8_t *p)
{
    unsigned year = u16(p), month = u16(p + 2), day = u16(p + 6), hour = u16(p + 8), minute = u16(p + 10),
             second = u16(p + 12), millis = u16(p + 14);
    static const unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1601 || year > 9999 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
        (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59 || millis > 999) {
        PyErr_SetString(BinXmlError, "system time this reader leaves to evtx");
        return NULL;
    }
    return iso_time(year, month, day, hour, minute, second, (uint64_t)millis * 1000);
}

static PyObject *
hex_text(const uint8_t *p, uint32_t size)
{
    PyObject *text = PyUnicode_New((Py_ssize_t)size * 2, 127);
    if (text == NULL)
        return NULL;
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
    for (uint32_t i = 0; i < size; i++) {
        out[2 * i] = (Py_UCS1)hex_upper[p[i] >> 4];
        out[2 * i + 1] = (Py_UCS1)hex_upper[p[i] & 15];
    }
    return text;
}

static PyObject *
guid_text(const uint8_t *p)
{
    PyObject *text = PyUnicode_New(36, 127);
    if (text == NULL)
        return NULL;
    Py_UCS1 *o = PyUnicode_1BYTE_DATA(text);
    hex_digits(o, u32(p), 8);
    o[8] = '-';
    hex_digits(o + 9, u16(p + 4), 4);
    o[13] = '-';
    hex_digits(o + 14, u16(p + 6), 4);
    o[18] = '-';
    hex_digits(o + 19, (uint64_t)p[8] << 8 | p[9], 4);
    o[23] = '-';
    for (int i = 0; i < 6; i++)
        hex_digits(o + 24 + 2 * i, p[10 + i], 2);
    return text;
}

/* value in decimal at out; returns the digit count (at most 20). */
static size_t
decimal(Py_UCS1 *out, uint64_t value)
{
    Py_UCS1 reverse[20];
    size_t n = 0;
    do {
        reverse[n++] = (Py_UCS1)('0' + value % 10);
        value /= 10;
    } while (value);
    for (size_t i = 0; i < n; i++)
        out[i] = reverse[n - 1 - i];
    return n;
}

static PyObject *
sid_text(const uint8_t *p, uint32_t size)
{
    if (size < 8 || size < 8u + 4u * p[1])
        return NULL;
    uint64_t authority = 0;
    for (int i = 2; i < 8; i++)
        authority = authority << 8 | p[i];
    Py_UCS1 buffer[32 + 11 * 256];
    size_t n = 0;
    buffer[n++] = 'S';
    buffer[n++] = '-';
    n += decimal(buffer + n, p[0]);
    buffer[n++] = '-';
    n += decimal(buffer + n, authority);
    for (unsigned i = 0; i < p[1]; i++) {
        buffer[n++] = '-';
        n += decimal(buffer + n, u32(p + 8 + 4 * i));
    }
    return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, buffer, (Py_ssize_t)n);
}

static PyObject *
hex_int(uint64_t value)
{
    static const char lower[] = "0123456789abcdef";
    Py_UCS1 buffer[18];
    int n = 18;
    do {
        buffer[--n] = (Py_UCS1)lower[value & 15];
        value >>= 4;
    } while (value);
    buffer[--n] = 'x';
    buffer[--n] = '0';
    return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, buffer + n, 18 - n);
}

/* One scalar of fixed-size type ``type`` at p (size checked by the caller). */
static PyObject *
scalar(uint8_t type, const uint8_t *p)
{
    switch (type) {
    case 0x03: return PyLong_FromLong((int8_t)p[0]);
    case 0x04: return PyLong_FromLong(p[0]);
    case 0x05: return PyLong_FromLong((int16_t)u16(p));
    case 0x06: return PyLong_FromLong(u16(p));
    case 0x07: return PyLong_FromLong((int32_t)u32(p));
    case 0x08: return PyLong_FromUnsignedLong(u32(p));
    case 0x09: return PyLong_FromLongLong((int64_t)u64(p));
    case 0x0A: return PyLong_FromUnsignedLongLong(u64(p));
    case 0x0D: return PyBool_FromLong(u32(p) != 0);
    case 0x0F: return guid_text(p);
    case 0x11: return file_time(u64(p));
    case 0x12: return system_time(p);
    case 0x14: return hex_int(u32(p));
    case 0x15: return hex_int(u64(p));
    }
    return NULL;
}

static int
scalar_size(uint8_t type)
{
    switch (type) {
    case 0x03: case 0x04: return 1;
    case 0x05: case 0x06: return 2;
    case 0x07: case 0x08: case 0x0D: case 0x14: return 4;
    case 0x09: case 0x0A: case 0x11: case 0x15: return 8;
    case 0x0F: case 0x12: return 16;
    }
    return 0;
}

/* A substitution value (not BinXML) as a Python value; Py_None for null. NULL + BinXmlError for a
 * type this reader does not handle. */
static PyObject *
value_of(Chunk *c, uint8_t type, uint32_t offset, uint32_t size)
{
    const uint8_t *p = c->base + offset;
    if (type == 0x00)
        Py_RETURN_NONE;
    if (type == 0x01)
        return utf16_value(p, size);
    if (type == 0x0E)
        return hex_text(p, size);
    if (type == 0x02) { /* ANSI text: ASCII read here, other code pages left to evtx */
        uint32_t length = 0;
        while (length < size && p[length] != 0) {
            if (p[length] >= 0x80) {
                fail(offset, "non-ASCII ANSI string");
                return NULL;
            }
            length++;
        }
        return PyUnicode_FromStringAndSize((const char *)p, length);
    }
    if (type == 0x13) {
        PyObject *sid = sid_text(p, size);
        if (sid == NULL && !PyErr_Occurred())
            fail(offset, "malformed SID");
        return sid;
    }
    if (type == 0x10) { /* SizeT: a hex integer of the value's width */
        if (size == 4)
            return hex_int(u32(p));
        if (size == 8)
            return hex_int(u64(p));
        fail(offset, "SizeT value of unexpected size");
        return NULL;
    }
    int width = scalar_size(type);
    if (width > 0) {
        if (size != (uint32_t)width) {
            fail(offset, "value size does not match its type");
            return NULL;
        }
        return scalar(type, p);
    }
    if (type == 0x81) { /* array of NUL-terminated UTF-16 strings */
        PyObject *list = PyList_New(0);
        if (list == NULL)
            return NULL;
        uint32_t start = 0;
        for (uint32_t i = 0; i + 1 < size; i += 2) {
            if (u16(p + i) == 0) {
                PyObject *item = utf16(p + start, (i - start) / 2);
                if (item == NULL || PyList_Append(list, item) < 0) {
                    Py_XDECREF(item);
                    Py_DECREF(list);
                    return NULL;
                }
                Py_DECREF(item);
                start = i + 2;
            }
        }
        return list;
    }
    width = scalar_size(type & 0x7F);
    if ((type & 0x80) && width > 0) {
        if (size % (uint32_t)width) {
            fail(offset, "array size is not a multiple of its item size");
            return NULL;
        }
        PyObject *list = PyList_New(size / (uint32_t)width);
        if (list == NULL)
            return NULL;
        for (uint32_t i = 0; i < size / (uint32_t)width; i++) {
            PyObject *item = scalar(type & 0x7F, p + i * (uint32_t)width);
            if (item == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, i, item);
        }
        return list;
    }
    PyErr_Format(BinXmlError, "value type 0x%02x at chunk offset 0x%x is not handled", type, (unsigned)offset);
    return NULL;
}

/* Add a text value to an element (a second text part is appended to a text first part). */
static int
add_text(Node *node, PyObject *value, uint32_t offset)
{
    if (value == Py_None || (PyUnicode_CheckExact(value) && PyUnicode_GET_LENGTH(value) == 0))
        return 0; /* null and empty texts leave an element empty (null; "" for <Data>) */
    if (node->text == NULL) {
        Py_INCREF(value);
        node->text = value;
        return 0;
    }
    /* more parts: joined as text, as evtx does for text and integers ("x" then 5 gives "x5") */
    if (!(PyUnicode_CheckExact(node->text) || PyLong_CheckExact(node->text)) ||
        !(PyUnicode_CheckExact(value) || PyLong_CheckExact(value)))
        return fail(offset, "element with text parts of other types than text and integers");
    PyObject *left = PyObject_Str(node->text);
    PyObject *right = left ? PyObject_Str(value) : NULL;
    PyObject *joined = right ? PyUnicode_Concat(left, right) : NULL;
    Py_XDECREF(left);
    Py_XDECREF(right);
    if (joined == NULL)
        return -1;
    Py_SETREF(node->text, joined);
    return 0;
}

static int
set_child(Node *node, PyObject *key, PyObject *value)
{
    if (node->children == NULL && (node->children = PyDict_New()) == NULL)
        return -1;
    return PyDict_SetItem(node->children, key, value);
}

/* Add a child element's value; a name seen before gets "_1", "_2"... as evtx names repeats. */
static int
add_child(Node *node, PyObject *key, PyObject *value)
{
    if (node->children == NULL && (node->children = PyDict_New()) == NULL)
        return -1;
    Py_ssize_t size = PyDict_GET_SIZE(node->children);
    if (PyDict_SetDefault(node->children, key, value) == NULL) /* one lookup: adds if new */
        return -1;
    if (PyDict_GET_SIZE(node->children) > size)
        return 0;
    int present;
    for (long number = 1; number < 100000; number++) {
        PyObject *other = PyUnicode_FromFormat("%U_%ld", key, number);
        if (other == NULL)
            return -1;
        present = PyDict_Contains(node->children, other);
        if (present == 0) {
            int failed = PyDict_SetItem(node->children, other, value);
            Py_DECREF(other);
            return failed;
        }
        Py_DECREF(other);
        if (present < 0)
            return -1;
    }
    return fail(0, "too many elements of one name");
}

static void
node_clear(Node *node)
{
    Py_CLEAR(node->attributes);
    Py_CLEAR(node->children);
    Py_CLEAR(node->text);
}

static int parse_content(Chunk *c, uint32_t *pos, uint32_t end, const Substitutions *subs, Node *node,
                         int in_template, int depth);
static int parse_fragment(Chunk *c, uint32_t pos, uint32_t end, const Substitutions *subs, Node *node,
                          int depth, uint32_t *stop);

/* One attribute's or text's value token at *pos; the value (new reference, Py_None for null) or
 * NULL with an error. Sets *binxml to the substitution when it holds nested BinXML. */
static PyObject *
read_value_token(Chunk *c, uint32_t *pos, uint32_t end, const Substitutions *subs,
                 const Substitution **binxml)
{
    uint8_t token = c->base[*pos];
    *binxml = NULL;
    switch (token & 0xBF) {
    case 0x05: { /* Value: type(1) then, for text, count(2) and UTF-16 */
        if ((uint64_t)*pos + 4 > end) {
            fail(*pos, "truncated BinXML");
            return NULL;
        }
        if (c->base[*pos + 1] != 0x01) {
            fail(*pos, "value token of a type other than text");
            return NULL;
        }
        uint32_t units = u16(c->base + *pos + 2);
        if ((uint64_t)*pos + 4 + 2u * units > end) {
            fail(*pos, "truncated BinXML");
            return NULL;
        }
        PyObject *text = cached_text(c, *pos | TEXT_KEY, *pos + 4, units);
        *pos += 4 + 2u * units;
        Py_XINCREF(text);
        return text;
    }
    case 0x0D:
    case 0x0E: { /* Substitution: index(2) type(1) */
        if ((uint64_t)*pos + 4 > end) {
            fail(*pos, "truncated BinXML");
            return NULL;
        }
        uint16_t index = u16(c->base + *pos + 1);
        *pos += 4;
        if (subs == NULL || index >= subs->count) {
            fail(*pos - 4, "substitution outside its template's values");
            return NULL;
        }
        const Substitution *sub = &subs->items[index];
        if (sub->type == 0x21) {
            *binxml = sub;
            Py_RETURN_NONE;
        }
        return value_of(c, sub->type, sub->offset, sub->size);
    }
    case 0x09: { /* entity reference: the five XML ones (evtx does not read character references) */
        uint32_t p = *pos + 1;
        PyObject *name = read_name(c, &p, end);
        if (name == NULL)
            return NULL;
        static const char *const entities[][2] = {
            {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
        };
        for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
            if (PyUnicode_CompareWithASCIIString(name, entities[i][0]) == 0) {
                *pos = p;
                return PyUnicode_FromString(entities[i][1]);
            }
        fail(*pos, "unknown entity reference");
        return NULL;
    }
    }
    fail(*pos, "unhandled BinXML token in a value");
    return NULL;
}

/* One unnamed <Data> text into its holder's "#text": the value, then a list from the second on. */
static int
add_unnamed_data(PyObject *holder, PyObject *text)
{
    PyObject *old = PyDict_GetItemWithError(holder, k_text);
    if (old == NULL)
        return PyErr_Occurred() ? -1 : PyDict_SetItem(holder, k_text, text);
    if (PyList_CheckExact(old))
        return PyList_Append(old, text);
    PyObject *list = PyList_New(2);
    if (list == NULL)
        return -1;
    Py_INCREF(old);
    Py_INCREF(text);
    PyList_SET_ITEM(list, 0, old);
    PyList_SET_ITEM(list, 1, text);
    int failed = PyDict_SetItem(holder, k_text, list);
    Py_DECREF(list);
    return failed;
}

/* An element at *pos (token 0x01/0x41); its value goes into ``parent``. */
static int
parse_element(Chunk *c, uint32_t *pos, uint32_t end, const Substitutions *subs, Node *parent,
              int in_template, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(*pos, "BinXML nested too deep");
    uint8_t token = c->base[*pos];
    uint32_t p = *pos + 1 + (in_template ? 2 : 0) + 4;
    if ((uint64_t)p > end)
        return fail(*pos, "truncated BinXML");
    PyObject *name = read_name(c, &p, end); /* borrowed from the chunk's table */
    if (name == NULL)
        return -1;
    Node node = {NULL, NULL, NULL};
    int is_data = name == k_data; /* both interned */
    PyObject *data_name = NULL;   /* a <Data>'s Name attribute */
    if (token & 0x40) {
        NEED_OR_ERROR(p, 4);
        p += 4;
        for (;;) {
            NEED_OR_ERROR(p, 1);
            uint8_t at = c->base[p];
            if ((at & 0xBF) != 0x06)
                break;
            p += 1;
            PyObject *attribute = read_name(c, &p, end);
            if (attribute == NULL)
                goto error;
            PyObject *value = NULL;
            for (;;) {
                NEED_OR_ERROR(p, 1);
                uint8_t next = c->base[p] & 0xBF;
                if (next == 0x06 || next == 0x02 || next == 0x03)
                    break;
                const Substitution *nested;
                PyObject *part = read_value_token(c, &p, end, subs, &nested);
                if (part != NULL && PyList_CheckExact(part)) {
                    Py_DECREF(part);
                    Py_XDECREF(value);
                    fail(p, "array as an attribute value");
                    goto error;
                }
                if (part == NULL || nested != NULL) {
                    Py_XDECREF(part);
                    Py_XDECREF(value);
                    if (nested != NULL)
                        fail(p, "BinXML as an attribute value");
                    goto error;
                }
                if (value == NULL || value == Py_None) {
                    Py_XSETREF(value, part);
                }
                else if (part != Py_None) {
                    if (!PyUnicode_Check(value) || !PyUnicode_Check(part)) {
                        Py_DECREF(part);
                        Py_DECREF(value);
                        fail(p, "attribute with value parts of different types");
                        goto error;
                    }
                    PyObject *joined = PyUnicode_Concat(value, part);
                    Py_DECREF(part);
                    Py_SETREF(value, joined);
                    if (value == NULL)
                        goto error;
                }
                else
                    Py_DECREF(part);
            }
            if (is_data && value != NULL) { /* <Data> keeps only its Name (no dict for that) */
                if (attribute == k_name && value != Py_None)
                    Py_XSETREF(data_name, value);
                else
                    Py_DECREF(value);
            }
            else if (value != NULL && value != Py_None) {
                if (node.attributes == NULL && (node.attributes = PyDict_New()) == NULL) {
                    Py_DECREF(value);
                    goto error;
                }
                int failed = PyDict_SetItem(node.attributes, attribute, value);
                Py_DECREF(value);
                if (failed < 0)
                    goto error;
            }
            else
                Py_XDECREF(value);
            if (!(at & 0x40))
                break;
        }
    }
    NEED_OR_ERROR(p, 1);
    uint8_t close = c->base[p];
    p += 1;
    if (close == 0x02) {
        if (parse_content(c, &p, end, subs, &node, in_template, depth) < 0)
            goto error;
    }
    else if (close != 0x03) {
        fail(p - 1, "element without a close-start token");
        goto error;
    }
    *pos = p;

    /* the element's value in its parent */
    if (is_data) {
        if (data_name != NULL) {
            PyObject *text_key = PyObject_Str(data_name);
            if (text_key == NULL)
                goto error;
            PyObject *value = node.text ? node.text : node.children ? node.children : k_empty;
            if (PyList_CheckExact(value)) /* an array stands for one <Data> per item: the last stays */
                value = PyList_GET_SIZE(value) ? PyList_GET_ITEM(value, PyList_GET_SIZE(value) - 1) : k_empty;
            int failed = set_child(parent, text_key, value);
            Py_DECREF(text_key);
            if (failed < 0)
                goto error;
            node_clear(&node);
            Py_CLEAR(data_name);
            return 0;
        }
        /* unnamed: texts gather under Data/#text */
        PyObject *holder = parent->children ? PyDict_GetItemWithError(parent->children, k_data) : NULL;
        if (holder == NULL && PyErr_Occurred())
            goto error;
        if (holder == NULL || !PyDict_CheckExact(holder)) {
            PyObject *fresh = PyDict_New();
            if (fresh == NULL)
                goto error;
            int failed = set_child(parent, k_data, fresh);
            Py_DECREF(fresh);
            if (failed < 0)
                goto error;
            holder = fresh;
        }
        if (node.text != NULL && PyList_CheckExact(node.text)) {
            /* an array value stands for one <Data> per item, as evtx expands it */
            if (PyList_GET_SIZE(node.text) == 0) {
                fail(p, "empty array in an unnamed <Data>");
                goto error;
            }
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(node.text); i++)
                if (add_unnamed_data(holder, PyList_GET_ITEM(node.text, i)) < 0)
                    goto error;
        }
        else if (add_unnamed_data(holder, node.text ? node.text : k_empty) < 0)
            goto error;
        node_clear(&node);
        return 0;
    }
    if (node.text != NULL && PyList_CheckExact(node.text)) {
        fail(p, "array value outside <Data>"); /* evtx repeats the element per item */
        goto error;
    }
    PyObject *value;
    if (node.attributes != NULL || (node.children != NULL && node.text != NULL)) {
        /* "#attributes", then "#text", then the children */
        value = PyDict_New();
        if (value == NULL)
            goto error;
        if ((node.attributes && PyDict_SetItem(value, k_attributes, node.attributes) < 0) ||
            (node.text && PyDict_SetItem(value, k_text, node.text) < 0) ||
            (node.children && PyDict_Update(value, node.children) < 0)) {
            Py_DECREF(value);
            goto error;
        }
    }
    else if (node.children != NULL) {
        value = node.children;
        Py_INCREF(value);
    }
    else {
        value = node.text ? node.text : Py_None;
        Py_INCREF(value);
    }
    int failed = add_child(parent, name, value);
    Py_DECREF(value);
    node_clear(&node);
    return failed;

error:
    node_clear(&node);
    Py_XDECREF(data_name);
    return -1;
}

/* An element's content up to and including its end token (0x04). */
static int
parse_content(Chunk *c, uint32_t *pos, uint32_t end, const Substitutions *subs, Node *node, int in_template,
              int depth)
{
    for (;;) {
        NEED(*pos, 1);
        uint8_t token = c->base[*pos];
        switch (token & 0xBF) {
        case 0x04:
            *pos += 1;
            return 0;
        case 0x01:
            if (parse_element(c, pos, end, subs, node, in_template, depth + 1) < 0)
                return -1;
            break;
        case 0x05:
        case 0x0D:
        case 0x0E:
        case 0x09: {
            uint32_t at = *pos;
            const Substitution *nested;
            PyObject *value = read_value_token(c, pos, end, subs, &nested);
            if (value == NULL)
                return -1;
            if (nested != NULL) {
                Py_DECREF(value);
                uint32_t stop;
                if (parse_fragment(c, nested->offset, nested->offset + nested->size, NULL, node, depth + 1,
                                   &stop) < 0)
                    return -1;
                break;
            }
            int failed = add_text(node, value, at);
            Py_DECREF(value);
            if (failed < 0)
                return -1;
            break;
        }
        default:
            return fail(*pos, "unhandled BinXML token in element content");
        }
    }
}

/* A template instance at pos (token 0x0C): its values, then its definition filled with them. */
static int
parse_template(Chunk *c, uint32_t *pos, uint32_t end, Node *node, int depth)
{
    uint32_t p = *pos;
    NEED(p, 10);
    uint32_t definition = u32(c->base + p + 6);
    p += 10;
    if ((uint64_t)definition + 24 > CHUNK_SIZE)
        return fail(*pos, "template definition outside the chunk");
    uint32_t body_size = u32(c->base + definition + 20);
    uint32_t body = definition + 24;
    if ((uint64_t)body + body_size > CHUNK_SIZE)
        return fail(definition, "template body outside the chunk");
    if (definition == p) /* defined here, ahead of its values */
        p = body + body_size;
    NEED(p, 4);
    uint32_t count = u32(c->base + p);
    p += 4;
    if (count > MAX_SUBSTITUTIONS)
        return fail(p - 4, "too many substitution values");
    NEED(p, 4u * count);
    Substitution stack_items[64];
    Substitution *items = count <= 64 ? stack_items : PyMem_Malloc(sizeof(Substitution) * count);
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    uint32_t at = p + 4u * count;
    for (uint32_t i = 0; i < count; i++) {
        items[i].size = u16(c->base + p + 4 * i);
        items[i].type = c->base[p + 4 * i + 2];
        items[i].offset = at;
        at += items[i].size;
    }
    int result;
    if (at > end)
        result = fail(p, "substitution values run past the record");
    else {
        Substitutions subs = {items, count};
        uint32_t stop;
        result = parse_fragment(c, body, body + body_size, &subs, node, depth + 1, &stop);
        /* template bodies hold elements with a dependency id: parse_fragment passes that on */
    }
    if (items != stack_items)
        PyMem_Free(items);
    if (result < 0)
        return -1;
    *pos = at;
    return 0;
}

/* A BinXML fragment from pos to its end-of-stream token (or ``end``); elements go into ``node``.
 * ``subs`` is non-NULL inside a template body (whose elements carry a dependency id). */
static int
parse_fragment(Chunk *c, uint32_t pos, uint32_t end, const Substitutions *subs, Node *node, int depth,
               uint32_t *stop)
{
    if (depth > MAX_DEPTH)
        return fail(pos, "BinXML nested too deep");
    while (pos < end) {
        uint8_t token = c->base[pos];
        switch (token & 0xBF) {
        case 0x00:
            *stop = pos + 1;
            return 0;
        case 0x0F:
            NEED(pos, 4);
            pos += 4;
            break;
        case 0x0C:
            if (parse_template(c, &pos, end, node, depth) < 0)
                return -1;
            break;
        case 0x01:
            if (parse_element(c, &pos, end, subs, node, subs != NULL, depth + 1) < 0)
                return -1;
            break;
        default:
            return fail(pos, "unhandled BinXML token at fragment level");
        }
    }
    *stop = pos;
    return 0;
}

static void
chunk_clear(Chunk *c)
{
    for (uint32_t i = 0; i < NAME_SLOTS; i++)
        Py_CLEAR(c->names[i].name);
}

/* Records(data, offset): an iterator over the records of the 64 KiB chunk at ``offset`` of
 * ``data``, each as (record_id, document), read one at a time (a record is flattened and
 * evaluated while its objects are still in the CPU's caches). The chunk is copied (nothing holds
 * ``data`` once the constructor returns) unless ``data`` is a bytes object of exactly one chunk,
 * which is immutable and kept as it is. */
typedef struct {
    PyObject_HEAD
    PyObject *bytes;     /* the chunk's copy */
    Chunk *chunk;        /* its name table */
    uint32_t position;   /* of the next record */
    uint32_t free_space; /* where records end */
} Records;

static void
records_dealloc(Records *self)
{
    if (self->chunk != NULL) {
        chunk_clear(self->chunk);
        PyMem_Free(self->chunk);
    }
    Py_XDECREF(self->bytes);
    PyTypeObject *type = Py_TYPE(self);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static PyObject *
records_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *data;
    Py_ssize_t offset;
    static char *keywords[] = {"data", "offset", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "On:Records", keywords, &data, &offset))
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *bytes = NULL;
    if (offset < 0 || view.len < offset || view.len - offset < (Py_ssize_t)CHUNK_SIZE)
        PyErr_SetString(BinXmlError, "chunk outside the data");
    else if (PyBytes_CheckExact(data) && offset == 0 && view.len == (Py_ssize_t)CHUNK_SIZE) {
        bytes = data; /* exactly one chunk, immutable: kept, not copied */
        Py_INCREF(bytes);
    }
    else
        bytes = PyBytes_FromStringAndSize((const char *)view.buf + offset, CHUNK_SIZE);
    PyBuffer_Release(&view);
    if (bytes == NULL)
        return NULL;
    const uint8_t *base = (const uint8_t *)PyBytes_AS_STRING(bytes);
    uint32_t free_space = u32(base + 48);
    if (memcmp(base, "ElfChnk\0", 8) != 0 || free_space < CHUNK_HEADER_SIZE || free_space > CHUNK_SIZE) {
        PyErr_SetString(BinXmlError, memcmp(base, "ElfChnk\0", 8) != 0 ? "not an EVTX chunk (bad signature)"
                                                                        : "chunk free-space offset out of range");
        Py_DECREF(bytes);
        return NULL;
    }
    Records *self = (Records *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(bytes);
        return NULL;
    }
    self->bytes = bytes;
    self->position = CHUNK_HEADER_SIZE;
    self->free_space = free_space;
    self->chunk = PyMem_Calloc(1, sizeof(Chunk));
    if (self->chunk == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->chunk->base = base;
    return (PyObject *)self;
}

static PyObject *
records_next(Records *self)
{
    const uint8_t *base = self->chunk->base;
    uint32_t pos = self->position, free_space = self->free_space;
    if (pos + 24 > free_space)
        return NULL; /* exhausted */
    self->position = free_space; /* an error ends the iteration */
    if (u32(base + pos) != 0x00002a2a) {
        PyErr_Format(BinXmlError, "record signature missing at chunk offset 0x%x", (unsigned)pos);
        return NULL;
    }
    uint32_t size = u32(base + pos + 4);
    if (size < 28 || (uint64_t)pos + size > free_space || u32(base + pos + size - 4) != size) {
        PyErr_Format(BinXmlError, "record size damaged at chunk offset 0x%x", (unsigned)pos);
        return NULL;
    }
    Node root = {NULL, NULL, NULL};
    uint32_t stop;
    if (parse_fragment(self->chunk, pos + 24, pos + size - 4, NULL, &root, 0, &stop) < 0) {
        node_clear(&root);
        return NULL;
    }
    PyObject *document = root.children;
    if (document == NULL || root.text != NULL || root.attributes != NULL) {
        node_clear(&root);
        PyErr_Format(BinXmlError, "record at chunk offset 0x%x holds no element", (unsigned)pos);
        return NULL;
    }
    root.children = NULL;
    PyObject *record_id = PyLong_FromUnsignedLongLong(u64(base + pos + 8));
    if (record_id == NULL) {
        Py_DECREF(document);
        return NULL;
    }
    PyObject *item = PyTuple_New(2);
    if (item == NULL) {
        Py_DECREF(record_id);
        Py_DECREF(document);
        return NULL;
    }
    PyTuple_SET_ITEM(item, 0, record_id);
    PyTuple_SET_ITEM(item, 1, document);
    self->position = pos + size;
    return item;
}

static PyType_Slot records_slots[] = {
    {Py_tp_doc, "Records(data, offset): the records of the EVTX chunk at offset, as (record_id, document)."},
    {Py_tp_new, records_new},
    {Py_tp_dealloc, records_dealloc},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, records_next},
    {0, NULL},
};

static PyType_Spec records_spec = {
    "ironwatch.ingest.parsers._binxml.Records", sizeof(Records), 0, Py_TPFLAGS_DEFAULT, records_slots,
};

static int
module_exec(PyObject *module)
{
    BinXmlError = PyErr_NewExceptionWithDoc("ironwatch.ingest.parsers._binxml.BinXmlError",
                                            "A chunk this reader does not handle (read it with evtx).",
                                            PyExc_ValueError, NULL);
    if (BinXmlError == NULL || PyModule_AddObjectRef(module, "BinXmlError", BinXmlError) < 0)
        return -1;
    PyObject *records = PyType_FromSpec(&records_spec);
    if (records == NULL)
        return -1;
    int failed = PyModule_AddObjectRef(module, "Records", records);
    Py_DECREF(records);
    if (failed < 0)
        return -1;
    k_attributes = PyUnicode_InternFromString("#attributes");
    k_text = PyUnicode_InternFromString("#text");
    k_data = PyUnicode_InternFromString("Data");
    k_name = PyUnicode_InternFromString("Name");
    k_empty = PyUnicode_InternFromString("");
    if (!k_attributes || !k_text || !k_data || !k_name || !k_empty)
        return -1;
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_binxml", "EVTX chunks read into the documents the evtx package's JSON gives.",
    0, NULL, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__binxml(void)
{
    return PyModuleDef_Init(&module_definition);
}
