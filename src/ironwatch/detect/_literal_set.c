/*
 * LiteralSet: which of many literals occur in an event's text, in one pass and one call.
 *
 *   LiteralSet(literals, other)      literals: a sequence of non-empty bytes, lowercase UTF-8;
 *                                    other: a value's text where scan_event does not write it
 *   .found(text) -> bytes            the literals occurring in text.lower() (as UTF-8)
 *   .scan_event(event) -> bytes      the same for "\n".join of the event's values, each as
 *                                    scan_text.event_text writes it: str, int, bool, None and
 *                                    lists of those in C, anything else by other(value); event:
 *                                    a dict (read in place while no Python code can run), a list
 *                                    of its values, or any mapping
 *
 * Both return the indices of the literals found, ascending and each once, as native uint32 in a
 * bytes object (b"" when none): hashable, made in one allocation, read with
 * memoryview(result).cast("I"). No Python code runs while a text is scanned and no match calls
 * back, which is what the literal scan through Hyperscan's binding costs most (a GIL round trip
 * and a Python call per literal hit, tens per process-creation event).
 *
 * How: every literal of four bytes or more is filed under the four-byte piece of it that the
 * fewest literals hold (its anchor); a shorter one under its first two bytes, or its one byte. A
 * bitmap of a hash of the four-byte pieces (about 32 bits per distinct piece, so a position passes
 * it by chance a few times in a hundred) is tested at every position of the text; a position that
 * passes looks its piece up in an open-addressing table and compares each literal filed there,
 * placed so that its anchor lies at that position. Lowercasing is done while the text is copied: ASCII and Latin-1 by table (the same
 * mapping as str.lower(), checked for all 256 code points by the tests), wider text by str.lower().
 * Lowercasing value by value gives the text str.lower() gives for the joined text: the only
 * context-dependent mapping (final sigma) does not look across a newline.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_literal_set.h"

typedef struct {
    uint64_t key; /* the filing bytes | their length (4, 2 or 1) << 32 */
    uint32_t first, count; /* a run of ids; count 0 = an empty slot */
} Slot;

typedef struct {
    PyObject_HEAD
    Py_ssize_t count;
    unsigned char *bytes; /* every literal's bytes, back to back */
    uint32_t *start, *length;
    uint32_t *anchor; /* where in the literal the bytes it is filed under start */
    uint32_t *ids; /* literal ids grouped by filing bytes (runs named by the slots) */
    Slot *slots;
    size_t slot_mask;
    unsigned filter_shift; /* 32 - log2(bits of filter4) */
    uint64_t *filter4; /* hashed four-byte anchors */
    uint64_t *filter2; /* 65536 bits: two-byte prefixes of literals of two or three bytes */
    uint64_t filter1[4]; /* 256 bits: literals of one byte */
    int has_long, has_two, has_one;
    uint32_t *stamp; /* stamp[id] == generation: found in this scan */
    uint32_t generation;
    uint32_t *hits;
    PyObject *other; /* text of a value scan_event() does not write itself */
} LiteralSet;

static const unsigned char *ascii_lower_table;
static unsigned char latin1_lower[256];
static PyObject *str_lower; /* the unbound str.lower */

static inline uint32_t
hash_prefix(uint32_t prefix, unsigned shift)
{
    return (prefix * 0x9E3779B1u) >> shift;
}

static inline size_t
hash_key(uint64_t key)
{
    key ^= key >> 29;
    key *= 0xBF58476D1CE4E5B9ull;
    key ^= key >> 32;
    return (size_t)key;
}

static inline int
bit_is_set(const uint64_t *bits, uint32_t bit)
{
    return (int)((bits[bit >> 6] >> (bit & 63)) & 1);
}

static inline void
set_bit(uint64_t *bits, uint32_t bit)
{
    bits[bit >> 6] |= (uint64_t)1 << (bit & 63);
}

/* the prefix of a literal or of a text position: its first ``length`` bytes (1, 2 or 4) */
static inline uint32_t
prefix_of(const unsigned char *at, unsigned length)
{
    if (length == 4) {
        uint32_t value;
        memcpy(&value, at, 4);
        return value;
    }
    return length == 2 ? (uint32_t)at[0] | (uint32_t)at[1] << 8 : at[0];
}

static inline unsigned
prefix_length(uint32_t length)
{
    return length >= 4 ? 4 : length >= 2 ? 2 : 1;
}

/* ---- the text: lowercased UTF-8, values joined by newlines ---- */

typedef struct {
    unsigned char *data;
    Py_ssize_t size, capacity;
    unsigned char local[4096];
} Buffer;

static void
buffer_init(Buffer *buffer)
{
    buffer->data = buffer->local;
    buffer->size = 0;
    buffer->capacity = (Py_ssize_t)sizeof buffer->local;
}

static void
buffer_free(Buffer *buffer)
{
    if (buffer->data != buffer->local)
        PyMem_Free(buffer->data);
}

static int
buffer_reserve(Buffer *buffer, Py_ssize_t extra)
{
    if (extra <= buffer->capacity - buffer->size)
        return 0;
    if (extra > (PY_SSIZE_T_MAX / 2) - buffer->size || buffer->size + extra > (Py_ssize_t)INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "LiteralSet: the text is too long to scan (2 GiB at most)");
        return -1;
    }
    Py_ssize_t capacity = (buffer->size + extra) * 2;
    unsigned char *data;
    if (buffer->data == buffer->local) {
        data = PyMem_Malloc((size_t)capacity);
        if (data != NULL)
            memcpy(data, buffer->local, (size_t)buffer->size);
    }
    else {
        data = PyMem_Realloc(buffer->data, (size_t)capacity);
    }
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = data;
    buffer->capacity = capacity;
    return 0;
}

/* append ``text`` (a str) lowercased as UTF-8; runs no Python code */
static int
append_lower(Buffer *buffer, PyObject *text)
{
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0)
        return -1;
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (PyUnicode_IS_ASCII(text)) {
        if (buffer_reserve(buffer, length) < 0)
            return -1;
        const unsigned char *source = PyUnicode_1BYTE_DATA(text);
        unsigned char *out = buffer->data + buffer->size;
        for (Py_ssize_t i = 0; i < length; i++)
            out[i] = ascii_lower_table[source[i]];
        buffer->size += length;
        return 0;
    }
    if (PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND) {
        if (buffer_reserve(buffer, 2 * length) < 0)
            return -1;
        const unsigned char *source = PyUnicode_1BYTE_DATA(text);
        unsigned char *out = buffer->data + buffer->size;
        for (Py_ssize_t i = 0; i < length; i++) {
            unsigned char lower = latin1_lower[source[i]];
            if (lower < 0x80) {
                *out++ = lower;
            }
            else {
                *out++ = (unsigned char)(0xC0 | (lower >> 6));
                *out++ = (unsigned char)(0x80 | (lower & 0x3F));
            }
        }
        buffer->size = out - buffer->data;
        return 0;
    }
    /* wider text: str.lower() (the unbound method, so a subclass's override is not run), as UTF-8;
     * a lone surrogate is written as its three bytes, which no literal (valid UTF-8) can match */
    PyObject *lower = PyObject_CallOneArg(str_lower, text);
    if (lower == NULL)
        return -1;
    PyObject *encoded = PyUnicode_AsEncodedString(lower, "utf-8", "surrogatepass");
    Py_DECREF(lower);
    if (encoded == NULL)
        return -1;
    Py_ssize_t size = PyBytes_GET_SIZE(encoded);
    int failed = buffer_reserve(buffer, size);
    if (!failed) {
        memcpy(buffer->data + buffer->size, PyBytes_AS_STRING(encoded), (size_t)size);
        buffer->size += size;
    }
    Py_DECREF(encoded);
    return failed ? -1 : 0;
}

/* append an exact int in decimal, as str() writes it */
static int
append_int(Buffer *buffer, PyObject *value)
{
    int overflow;
    long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (number == -1 && PyErr_Occurred())
        return -1;
    if (overflow) {
        PyObject *text = PyObject_Str(value);
        if (text == NULL)
            return -1;
        int failed = append_lower(buffer, text);
        Py_DECREF(text);
        return failed;
    }
    unsigned char digits[24];
    int position = (int)sizeof digits;
    unsigned long long magnitude = number < 0 ? 0ull - (unsigned long long)number : (unsigned long long)number;
    do {
        digits[--position] = (unsigned char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (number < 0)
        digits[--position] = '-';
    Py_ssize_t size = (Py_ssize_t)sizeof digits - position;
    if (buffer_reserve(buffer, size) < 0)
        return -1;
    memcpy(buffer->data + buffer->size, digits + position, (size_t)size);
    buffer->size += size;
    return 0;
}

static int
append_newline(Buffer *buffer)
{
    if (buffer_reserve(buffer, 1) < 0)
        return -1;
    buffer->data[buffer->size++] = '\n';
    return 0;
}

static int
append_ascii(Buffer *buffer, const char *text, Py_ssize_t size)
{
    if (buffer_reserve(buffer, size) < 0)
        return -1;
    memcpy(buffer->data + buffer->size, text, (size_t)size);
    buffer->size += size;
    return 0;
}

/* A scalar as text_of() reads it: a str, an int, a bool ("true"/"false"); 1 when written, 0 when
 * it is another kind (nothing written), -1 on error. Runs no Python code. */
static int
append_scalar(Buffer *buffer, PyObject *value)
{
    if (PyUnicode_CheckExact(value))
        return append_lower(buffer, value) < 0 ? -1 : 1;
    if (PyLong_CheckExact(value))
        return append_int(buffer, value) < 0 ? -1 : 1;
    if (value == Py_True)
        return append_ascii(buffer, "true", 4) < 0 ? -1 : 1;
    if (value == Py_False)
        return append_ascii(buffer, "false", 5) < 0 ? -1 : 1;
    return 0;
}

/* One value as scan_text.event_text writes it: a scalar, None as nothing, an exact list or tuple of
 * scalars and None as its items one per line (None left out). 1 when written, 0 when it needs
 * other() (nothing written), -1 on error. Runs no Python code. */
static int
append_simple(Buffer *buffer, PyObject *value)
{
    if (value == Py_None)
        return 1;
    if (!PyList_CheckExact(value) && !PyTuple_CheckExact(value))
        return append_scalar(buffer, value);
    Py_ssize_t mark = buffer->size, count = PySequence_Fast_GET_SIZE(value);
    PyObject **items = PySequence_Fast_ITEMS(value);
    int first = 1;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (items[i] == Py_None)
            continue;
        if (!first && append_newline(buffer) < 0)
            return -1;
        first = 0;
        int written = append_scalar(buffer, items[i]);
        if (written <= 0) {
            if (written == 0)
                buffer->size = mark;
            return written;
        }
    }
    return 1;
}

/* An exact dict whose values append_simple() writes: 1 when written, 0 (buffer emptied) when a
 * value needs other(), -1 on error. Runs no Python code, so the dict cannot change. */
static int
append_plain_values(Buffer *buffer, PyObject *event)
{
    Py_ssize_t position = 0;
    PyObject *key, *value;
    int first = 1;
    while (PyDict_Next(event, &position, &key, &value)) {
        if (!first && append_newline(buffer) < 0)
            return -1;
        first = 0;
        int written = append_simple(buffer, value);
        if (written <= 0) {
            buffer->size = 0;
            return written;
        }
    }
    return 1;
}

/* A list of values (other() may run Python code: each item is read afresh, the size checked). */
static int
append_values(Buffer *buffer, PyObject *values, PyObject *other)
{
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        if (i && append_newline(buffer) < 0)
            return -1;
        PyObject *value = PyList_GET_ITEM(values, i);
        int written = append_simple(buffer, value);
        if (written < 0)
            return -1;
        if (written)
            continue;
        Py_INCREF(value); /* keep it alive while other() runs */
        PyObject *text = PyObject_CallOneArg(other, value);
        Py_DECREF(value);
        if (text == NULL)
            return -1;
        if (!PyUnicode_Check(text)) {
            Py_DECREF(text);
            PyErr_SetString(PyExc_TypeError, "LiteralSet.scan_event(): other() must return a str");
            return -1;
        }
        int failed = append_lower(buffer, text);
        Py_DECREF(text);
        if (failed)
            return -1;
    }
    return 0;
}

/* ---- the scan ---- */

static inline void
check(LiteralSet *self, const unsigned char *text, Py_ssize_t size, Py_ssize_t at, unsigned length,
      uint32_t gram, Py_ssize_t *found)
{
    uint64_t key = (uint64_t)gram | (uint64_t)length << 32;
    size_t slot = hash_key(key) & self->slot_mask;
    while (self->slots[slot].key != key) {
        if (self->slots[slot].count == 0)
            return; /* an empty slot (its key, 0, is no literal's) */
        slot = (slot + 1) & self->slot_mask;
    }
    const Slot *run = &self->slots[slot];
    for (uint32_t i = run->first; i < run->first + run->count; i++) {
        uint32_t id = self->ids[i], literal_length = self->length[id], anchor = self->anchor[id];
        if ((Py_ssize_t)anchor > at || (Py_ssize_t)(literal_length - anchor) > size - at ||
            self->stamp[id] == self->generation)
            continue;
        if (literal_length == length ||
            memcmp(text + at - anchor, self->bytes + self->start[id], literal_length) == 0) {
            self->stamp[id] = self->generation;
            self->hits[(*found)++] = id;
        }
    }
}

static int
compare_ids(const void *left, const void *right)
{
    uint32_t a = *(const uint32_t *)left, b = *(const uint32_t *)right;
    return (a > b) - (a < b);
}

/* the ids found in ``text``, ascending, as bytes */
static PyObject *
scan(LiteralSet *self, const unsigned char *text, Py_ssize_t size)
{
    if (++self->generation == 0) {
        memset(self->stamp, 0, sizeof(uint32_t) * (size_t)self->count);
        self->generation = 1;
    }
    Py_ssize_t found = 0;
    if (self->has_long) {
        const unsigned shift = self->filter_shift;
        const uint64_t *filter = self->filter4;
        for (Py_ssize_t at = 0; at + 4 <= size; at++) {
            uint32_t prefix = prefix_of(text + at, 4);
            if (bit_is_set(filter, hash_prefix(prefix, shift)))
                check(self, text, size, at, 4, prefix, &found);
        }
    }
    if (self->has_two) {
        for (Py_ssize_t at = 0; at + 2 <= size; at++) {
            uint32_t prefix = prefix_of(text + at, 2);
            if (bit_is_set(self->filter2, prefix))
                check(self, text, size, at, 2, prefix, &found);
        }
    }
    if (self->has_one) {
        for (Py_ssize_t at = 0; at < size; at++)
            if (bit_is_set(self->filter1, text[at]))
                check(self, text, size, at, 1, text[at], &found);
    }
    if (found == 0)
        return PyBytes_FromStringAndSize(NULL, 0);
    if (found < 32) {
        for (Py_ssize_t i = 1; i < found; i++) {
            uint32_t id = self->hits[i];
            Py_ssize_t j = i;
            for (; j > 0 && self->hits[j - 1] > id; j--)
                self->hits[j] = self->hits[j - 1];
            self->hits[j] = id;
        }
    }
    else {
        qsort(self->hits, (size_t)found, sizeof(uint32_t), compare_ids);
    }
    return PyBytes_FromStringAndSize((const char *)self->hits, found * (Py_ssize_t)sizeof(uint32_t));
}

static PyObject *
LiteralSet_found(LiteralSet *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "LiteralSet.found(text): text must be a str");
        return NULL;
    }
    Buffer buffer;
    buffer_init(&buffer);
    PyObject *result = append_lower(&buffer, text) < 0 ? NULL : scan(self, buffer.data, buffer.size);
    buffer_free(&buffer);
    return result;
}

static PyObject *
LiteralSet_scan_event(LiteralSet *self, PyObject *values)
{
    PyObject *result = NULL, *snapshot = NULL;
    Buffer buffer;
    buffer_init(&buffer);
    int status = 0;
    if (PyDict_CheckExact(values)) {
        status = append_plain_values(&buffer, values);
        if (status == 0) /* a value needs other(): snapshot the values, which it may change */
            snapshot = PyDict_Values(values);
    }
    else if (PyList_CheckExact(values)) {
        snapshot = PySequence_List(values);
    }
    else if (PyMapping_Check(values) && !PyUnicode_Check(values) && !PyBytes_Check(values)) {
        snapshot = PyMapping_Values(values);
    }
    else {
        PyErr_SetString(PyExc_TypeError, "LiteralSet.scan_event(event): event must be a mapping or a list of its values");
    }
    if (snapshot != NULL) {
        status = append_values(&buffer, snapshot, self->other);
        Py_DECREF(snapshot);
    }
    else if (status == 0) {
        status = -1;
    }
    if (status >= 0)
        result = scan(self, buffer.data, buffer.size);
    buffer_free(&buffer);
    return result;
}

/* ---- building ---- */

typedef struct {
    uint64_t key;
    uint32_t id;
} Filed;

static int
compare_filed(const void *left, const void *right)
{
    const Filed *a = left, *b = right;
    if (a->key != b->key)
        return (a->key > b->key) - (a->key < b->key);
    return (a->id > b->id) - (a->id < b->id);
}

/* File every literal under the bytes it is looked up by: for one of four bytes or more, the
 * four-byte gram of it that the fewest literals hold (so a text position that passes the filter
 * is compared with a few literals, not with the hundreds that start "c:\\windows\\"); for a
 * shorter one, its first two bytes (or its one byte). */
static int
file_literals(LiteralSet *self, Filed *filed)
{
    size_t grams = 0;
    for (Py_ssize_t i = 0; i < self->count; i++)
        if (self->length[i] >= 4)
            grams += self->length[i] - 3;
    size_t size = 16;
    while (size < 2 * grams)
        size *= 2;
    uint64_t *keys = PyMem_Calloc(size, sizeof(uint64_t)); /* gram | 1 << 32; 0 = empty */
    uint32_t *counts = PyMem_Calloc(size, sizeof(uint32_t));
    if (keys == NULL || counts == NULL) {
        PyMem_Free(keys);
        PyMem_Free(counts);
        PyErr_NoMemory();
        return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (Py_ssize_t i = 0; i < self->count; i++) {
            const unsigned char *literal = self->bytes + self->start[i];
            uint32_t length = self->length[i], best = UINT32_MAX;
            if (length < 4) {
                if (pass) {
                    unsigned short_length = prefix_length(length);
                    filed[i].key = (uint64_t)prefix_of(literal, short_length) | (uint64_t)short_length << 32;
                }
                continue;
            }
            for (uint32_t at = 0; at + 4 <= length; at++) {
                uint64_t key = (uint64_t)prefix_of(literal + at, 4) | (uint64_t)1 << 32;
                size_t slot = hash_key(key) & (size - 1);
                while (keys[slot] && keys[slot] != key)
                    slot = (slot + 1) & (size - 1);
                keys[slot] = key;
                if (!pass) {
                    counts[slot]++;
                }
                else if (counts[slot] < best) {
                    best = counts[slot];
                    self->anchor[i] = at;
                }
            }
            if (pass)
                filed[i].key = (uint64_t)prefix_of(literal + self->anchor[i], 4) | (uint64_t)4 << 32;
        }
    }
    for (Py_ssize_t i = 0; i < self->count; i++)
        filed[i].id = (uint32_t)i;
    PyMem_Free(keys);
    PyMem_Free(counts);
    return 0;
}

static int
LiteralSet_traverse(LiteralSet *self, visitproc visit, void *arg)
{
    Py_VISIT(self->other);
    return 0;
}

static int
LiteralSet_clear(LiteralSet *self)
{
    Py_CLEAR(self->other);
    return 0;
}

static void
LiteralSet_dealloc(LiteralSet *self)
{
    PyObject_GC_UnTrack(self);
    LiteralSet_clear(self);
    PyMem_Free(self->bytes);
    PyMem_Free(self->start);
    PyMem_Free(self->length);
    PyMem_Free(self->anchor);
    PyMem_Free(self->ids);
    PyMem_Free(self->slots);
    PyMem_Free(self->filter4);
    PyMem_Free(self->filter2);
    PyMem_Free(self->stamp);
    PyMem_Free(self->hits);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
LiteralSet_init(LiteralSet *self, PyObject *args, PyObject *kwargs)
{
    PyObject *given, *other;
    static char *keywords[] = {"literals", "other", NULL};
    if (self->count || self->bytes) {
        PyErr_SetString(PyExc_RuntimeError, "LiteralSet is already built");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:LiteralSet", keywords, &given, &other))
        return -1;
    if (!PyCallable_Check(other)) {
        PyErr_SetString(PyExc_TypeError, "LiteralSet(literals, other): other must be callable");
        return -1;
    }
    PyObject *literals = PySequence_Fast(given, "LiteralSet(literals): literals must be a sequence of bytes");
    if (literals == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(literals), total = 0;
    Filed *filed = NULL;
    int result = -1;
    if (count >= (Py_ssize_t)UINT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "LiteralSet: too many literals");
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *literal = PySequence_Fast_GET_ITEM(literals, i);
        if (!PyBytes_Check(literal) || PyBytes_GET_SIZE(literal) == 0) {
            PyErr_Format(PyExc_TypeError, "LiteralSet: literal %zd is not a non-empty bytes object", i);
            goto done;
        }
        total += PyBytes_GET_SIZE(literal);
        if (total > (Py_ssize_t)INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "LiteralSet: the literals are too long (2 GiB at most)");
            goto done;
        }
    }
    size_t n = (size_t)(count ? count : 1);
    self->bytes = PyMem_Malloc((size_t)total + 1);
    self->start = PyMem_Malloc(n * sizeof(uint32_t));
    self->length = PyMem_Malloc(n * sizeof(uint32_t));
    self->anchor = PyMem_Calloc(n, sizeof(uint32_t));
    self->ids = PyMem_Malloc(n * sizeof(uint32_t));
    self->stamp = PyMem_Calloc(n, sizeof(uint32_t));
    self->hits = PyMem_Malloc(n * sizeof(uint32_t));
    filed = PyMem_Malloc(n * sizeof(Filed));
    if (!self->bytes || !self->start || !self->length || !self->anchor || !self->ids || !self->stamp || !self->hits || !filed) {
        PyErr_NoMemory();
        goto done;
    }
    uint32_t offset = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *literal = PySequence_Fast_GET_ITEM(literals, i);
        uint32_t length = (uint32_t)PyBytes_GET_SIZE(literal);
        memcpy(self->bytes + offset, PyBytes_AS_STRING(literal), length);
        self->start[i] = offset;
        self->length[i] = length;
        offset += length;
    }
    self->count = count;
    Py_INCREF(other);
    self->other = other;
    if (file_literals(self, filed) < 0)
        goto done;
    qsort(filed, (size_t)count, sizeof(Filed), compare_filed);
    size_t distinct = 0, distinct_long = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i == 0 || filed[i].key != filed[i - 1].key) {
            distinct++;
            distinct_long += (filed[i].key >> 32) == 4;
        }
    }
    size_t slots = 8;
    while (slots < 2 * distinct)
        slots *= 2;
    self->slots = PyMem_Calloc(slots, sizeof(Slot));
    unsigned bits = 10; /* filter4: ~32 bits per distinct anchor, 2**10 to 2**22 bits */
    while (bits < 22 && ((size_t)1 << bits) < 32 * distinct_long)
        bits++;
    self->filter_shift = 32 - bits;
    self->filter4 = PyMem_Calloc(((size_t)1 << bits) / 64, sizeof(uint64_t));
    self->filter2 = PyMem_Calloc(65536 / 64, sizeof(uint64_t));
    if (!self->slots || !self->filter4 || !self->filter2) {
        PyErr_NoMemory();
        goto done;
    }
    self->slot_mask = slots - 1;
    memset(self->filter1, 0, sizeof self->filter1);
    for (Py_ssize_t i = 0; i < count;) {
        Py_ssize_t end = i;
        while (end < count && filed[end].key == filed[i].key) {
            self->ids[end] = filed[end].id;
            end++;
        }
        uint64_t key = filed[i].key;
        size_t slot = hash_key(key) & self->slot_mask;
        while (self->slots[slot].count)
            slot = (slot + 1) & self->slot_mask;
        self->slots[slot].key = key;
        self->slots[slot].first = (uint32_t)i;
        self->slots[slot].count = (uint32_t)(end - i);
        uint32_t prefix = (uint32_t)key;
        switch (key >> 32) {
        case 4:
            set_bit(self->filter4, hash_prefix(prefix, self->filter_shift));
            self->has_long = 1;
            break;
        case 2:
            set_bit(self->filter2, prefix);
            self->has_two = 1;
            break;
        default:
            set_bit(self->filter1, prefix);
            self->has_one = 1;
        }
        i = end;
    }
    result = 0;
done:
    PyMem_Free(filed);
    Py_DECREF(literals);
    return result;
}

static Py_ssize_t
LiteralSet_length(LiteralSet *self)
{
    return self->count;
}

static PyObject *
LiteralSet_sizeof(LiteralSet *self, PyObject *Py_UNUSED(ignored))
{
    size_t size = sizeof(LiteralSet) + (self->slot_mask + 1) * sizeof(Slot) + 65536 / 8;
    if (self->filter_shift)
        size += ((size_t)1 << (32 - self->filter_shift)) / 8;
    for (Py_ssize_t i = 0; i < self->count; i++)
        size += self->length[i];
    size += (size_t)self->count * 5 * sizeof(uint32_t);
    return PyLong_FromSize_t(size);
}

static PyMethodDef LiteralSet_methods[] = {
    {"found", (PyCFunction)LiteralSet_found, METH_O,
     "found(text) -> bytes: the indices of the literals in text.lower(), ascending, as native uint32."},
    {"scan_event", (PyCFunction)LiteralSet_scan_event, METH_O,
     "scan_event(event) -> bytes: found() for the event's scan text (see scan_text.event_text)."},
    {"__sizeof__", (PyCFunction)LiteralSet_sizeof, METH_NOARGS, "Bytes held, tables included."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods LiteralSet_as_sequence = {
    .sq_length = (lenfunc)LiteralSet_length,
};

PyTypeObject LiteralSetType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ironwatch.detect._speedups.LiteralSet",
    .tp_basicsize = sizeof(LiteralSet),
    .tp_dealloc = (destructor)LiteralSet_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)LiteralSet_traverse,
    .tp_clear = (inquiry)LiteralSet_clear,
    .tp_doc = "LiteralSet(literals, other): which of many lowercase literals (bytes) occur in a text.",
    .tp_methods = LiteralSet_methods,
    .tp_as_sequence = &LiteralSet_as_sequence,
    .tp_init = (initproc)LiteralSet_init,
    .tp_new = PyType_GenericNew,
};

/* Called once from the module's init: the lowercasing tables and str.lower. */
int
literal_set_prepare(void)
{
    static unsigned char ascii[256];
    for (int code = 0; code < 256; code++) {
        ascii[code] = (unsigned char)(code >= 'A' && code <= 'Z' ? code + 0x20 : code);
        latin1_lower[code] = (unsigned char)(
            (code >= 0x41 && code <= 0x5A) || (code >= 0xC0 && code <= 0xDE && code != 0xD7) ? code + 0x20 : code);
    }
    ascii_lower_table = ascii;
    str_lower = PyObject_GetAttrString((PyObject *)&PyUnicode_Type, "lower");
    if (str_lower == NULL)
        return -1;
    return PyType_Ready(&LiteralSetType);
}
