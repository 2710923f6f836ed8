/* ironwatch.detect._speedups: C versions of four per-event steps of detection.
 *
 * Optional: setup.py builds this module when a C compiler is available, and every function here
 * has a pure-Python twin that is used otherwise (ironwatch.detect.speedups picks one). The twins
 * are the reference: tests/unit/detect/test_speedups.py checks that both give the same results on
 * hand-written edge cases and on the EVTX corpus.
 *
 *   collect(index, start, end, flags, hits)  the Hyperscan match callback: hits.add(index)
 *   event_text(values, other)                the literal scan's text: values joined by "\n"
 *                                            (values: the event dict, or a list of its values)
 *   scan_bytes(text)                         the scan text as bytes, lowercased where needed
 *   flatten_evtx(event, event_id, merge, mu) an EVTX record as a flat dict
 *   LiteralSet(literals)                     which literals occur in a text (_literal_set.c)
 *
 * Only the CPython C API is used (no third-party headers); no function keeps a reference to its
 * arguments, and none calls back into Python except through the callables it is given.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_literal_set.h"

/* collect(index, start, end, flags, hits): hits.add(index); returns None (scanning goes on). */
static PyObject *
collect(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "collect() takes 5 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PySet_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "collect(): the context must be a set");
        return NULL;
    }
    if (PySet_Add(args[4], args[0]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *newline; /* "\n", made once */

/* "\n".join of the values of an exact dict whose values are all exact str or int (no bool); NULL
 * without an error when another kind of value is there (the caller then takes the general way). */
static PyObject *
join_plain_values(PyObject *event)
{
    Py_ssize_t count = PyDict_GET_SIZE(event), position = 0, i = 0;
    PyObject *key, *value;
    PyObject *texts = PyList_New(count);
    if (texts == NULL)
        return NULL;
    while (PyDict_Next(event, &position, &key, &value)) {
        PyObject *text;
        if (PyUnicode_CheckExact(value)) {
            Py_INCREF(value);
            text = value;
        }
        else if (PyLong_CheckExact(value)) {
            text = PyObject_Str(value); /* runs no Python code: the dict cannot change */
            if (text == NULL) {
                Py_DECREF(texts);
                return NULL;
            }
        }
        else {
            Py_DECREF(texts);
            return NULL;
        }
        PyList_SET_ITEM(texts, i++, text);
    }
    PyObject *joined = PyUnicode_Join(newline, texts);
    Py_DECREF(texts);
    return joined;
}

/* event_text(values, other): "\n".join of each value as text: a str as it is, an int (not a bool)
 * by str(), anything else by other(value). ``values`` is the event (an exact dict) or a list of its
 * values. A dict is read directly only while every value is a str or an int; otherwise its values
 * are snapshot in a list first (other() may run arbitrary __str__ code, which could change it). */
static PyObject *
event_text(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !(PyList_CheckExact(args[0]) || PyDict_CheckExact(args[0]))) {
        PyErr_SetString(PyExc_TypeError, "event_text(values: dict | list, other: callable)");
        return NULL;
    }
    PyObject *values = args[0], *other = args[1], *snapshot = NULL;
    if (PyDict_CheckExact(values)) {
        PyObject *joined = join_plain_values(values);
        if (joined != NULL || PyErr_Occurred())
            return joined;
        values = snapshot = PyDict_Values(values);
        if (values == NULL)
            return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(values);
    PyObject *texts = PyList_New(count);
    if (texts == NULL) {
        Py_XDECREF(snapshot);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        /* other() may change ``values``: read each item afresh and check the size */
        if (i >= PyList_GET_SIZE(values)) {
            PyErr_SetString(PyExc_RuntimeError, "event_text(): the values changed while being read");
            Py_DECREF(texts);
            Py_XDECREF(snapshot);
            return NULL;
        }
        PyObject *value = PyList_GET_ITEM(values, i), *text;
        if (PyUnicode_CheckExact(value)) {
            Py_INCREF(value);
            text = value;
        }
        else if (PyLong_CheckExact(value)) {
            text = PyObject_Str(value);
        }
        else {
            Py_INCREF(value); /* keep it alive while other() runs */
            text = PyObject_CallOneArg(other, value);
            Py_DECREF(value);
            if (text != NULL && !PyUnicode_Check(text)) {
                PyErr_SetString(PyExc_TypeError, "event_text(): other() must return a str");
                Py_CLEAR(text);
            }
        }
        if (text == NULL) {
            Py_DECREF(texts);
            Py_XDECREF(snapshot);
            return NULL;
        }
        PyList_SET_ITEM(texts, i, text);
    }
    Py_XDECREF(snapshot);
    PyObject *joined = PyUnicode_Join(newline, texts);
    Py_DECREF(texts);
    return joined;
}

/* What str.lower() does to U+0000-U+00FF: A-Z and U+00C0-U+00DE (but U+00D7) gain 0x20. */
static unsigned char latin1_lower[256];

/* scan_bytes(text): UTF-8 of text.lower(), or of text itself when it is ASCII (Hyperscan folds
 * ASCII case itself). Text within Latin-1 is lowered through a table and encoded here; wider text
 * takes str.lower(). Mirrors prefilter.scan_bytes. */
static PyObject *
scan_bytes(PyObject *Py_UNUSED(module), PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "scan_bytes() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) /* a no-op since 3.12; legacy strings on 3.11 */
        return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (PyUnicode_IS_ASCII(text))
        return PyBytes_FromStringAndSize((const char *)PyUnicode_DATA(text), length);
    if (PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *source = PyUnicode_1BYTE_DATA(text);
        Py_ssize_t size = length;
        for (Py_ssize_t i = 0; i < length; i++)
            size += source[i] >> 7; /* U+0080-U+00FF take two bytes in UTF-8 */
        PyObject *out = PyBytes_FromStringAndSize(NULL, size);
        if (out == NULL)
            return NULL;
        unsigned char *target = (unsigned char *)PyBytes_AS_STRING(out);
        for (Py_ssize_t i = 0; i < length; i++) {
            unsigned char code = latin1_lower[source[i]];
            if (code < 0x80) {
                *target++ = code;
            }
            else {
                *target++ = (unsigned char)(0xC0 | (code >> 6));
                *target++ = (unsigned char)(0x80 | (code & 0x3F));
            }
        }
        return out;
    }
    PyObject *lowered = PyObject_CallMethod(text, "lower", NULL);
    if (lowered == NULL)
        return NULL;
    PyObject *encoded = PyUnicode_AsUTF8String(lowered);
    Py_DECREF(lowered);
    return encoded;
}

/* Interned key strings, made once at module load. */
static PyObject *s_event, *s_system, *s_eventid, *s_provider, *s_provider_name, *s_name, *s_attributes,
    *s_text, *s_timecreated, *s_systemtime, *s_eventdata, *s_userdata, *s_dataset_key, *s_dataset,
    *s_timestamp, *s_computer, *s_host_name, *s_event_code;
static PyObject *system_keys[7];

/* value["#text"] if value is a dict, else value (borrowed; NULL if a dict has no "#text"). */
static PyObject *
text_of_element(PyObject *value)
{
    if (value != NULL && PyDict_CheckExact(value))
        return PyDict_GetItemWithError(value, s_text);
    return value;
}

/* value["#attributes"][name] when both are dicts (borrowed, or NULL). */
static PyObject *
attribute_of(PyObject *value, PyObject *name)
{
    if (value == NULL || !PyDict_CheckExact(value))
        return NULL;
    PyObject *attributes = PyDict_GetItemWithError(value, s_attributes);
    if (attributes == NULL || !PyDict_CheckExact(attributes))
        return NULL;
    return PyDict_GetItemWithError(attributes, name);
}

/* The EventData dict holds only plain (non-dict) values and no "#text": copy it as it is. */
static int
plain_data(PyObject *data)
{
    if (!PyDict_CheckExact(data))
        return 0;
    Py_ssize_t position = 0;
    PyObject *key, *value;
    while (PyDict_Next(data, &position, &key, &value)) {
        if (PyDict_CheckExact(value))
            return 0;
    }
    return PyDict_Contains(data, s_text) == 0;
}

static int
set_if(PyObject *flat, PyObject *key, PyObject *value)
{
    return (value == NULL || value == Py_None) ? 0 : PyDict_SetItem(flat, key, value);
}

/* flatten_evtx(event, event_id, merge, merge_user): the flat dict of one EVTX record's "Event"
 * element (a dict whose "System" is a dict: the caller checks). event_id(value) converts an EventID
 * that is not an int; merge(flat, data) and merge_user(flat, data) copy EventData and UserData
 * that are not a flat dict of plain values. Mirrors evtx_fields.flatten_evtx_record. */
static PyObject *
flatten_evtx(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyDict_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "flatten_evtx(event: dict, event_id, merge, merge_user)");
        return NULL;
    }
    PyObject *event = args[0], *convert = args[1], *merge = args[2], *merge_user = args[3];
    PyObject *system = PyDict_GetItemWithError(event, s_system);
    if (system == NULL || !PyDict_CheckExact(system)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "flatten_evtx(): Event.System is not a dict");
        return NULL;
    }
    Py_INCREF(system);
    PyObject *flat = NULL, *created = NULL;
    /* sized for the usual record up front: ~12 System and added keys plus the EventData fields
     * (a dict grown one key at a time from empty is reallocated and rehashed four times);
     * _PyDict_NewPresized is CPython's own (BUILD_MAP uses it), declared up to 3.12 at least */
    PyObject *data_hint = PyDict_GetItemWithError(event, s_eventdata);
    if (data_hint == NULL && PyErr_Occurred())
        goto fail;
#if PY_VERSION_HEX < 0x030D0000
    flat = _PyDict_NewPresized(12 + (data_hint != NULL && PyDict_CheckExact(data_hint) ? PyDict_GET_SIZE(data_hint) : 0));
#else
    flat = PyDict_New();
#endif
    if (flat == NULL)
        goto fail;
    PyObject *identifier = text_of_element(PyDict_GetItemWithError(system, s_eventid));
    if (PyErr_Occurred())
        goto fail;
    if (identifier != NULL && identifier != Py_None) {
        if (PyLong_CheckExact(identifier)) {
            if (PyDict_SetItem(flat, s_eventid, identifier) < 0)
                goto fail;
        }
        else {
            Py_INCREF(identifier); /* convert() is Python code: keep its argument alive */
            PyObject *converted = PyObject_CallOneArg(convert, identifier);
            Py_DECREF(identifier);
            if (converted == NULL)
                goto fail;
            int failed = PyDict_SetItem(flat, s_eventid, converted);
            Py_DECREF(converted);
            if (failed < 0)
                goto fail;
        }
    }
    if (set_if(flat, s_provider_name, attribute_of(PyDict_GetItemWithError(system, s_provider), s_name)) < 0
        || PyErr_Occurred())
        goto fail;
    for (size_t i = 0; i < sizeof(system_keys) / sizeof(system_keys[0]); i++) {
        PyObject *value = PyDict_GetItemWithError(system, system_keys[i]);
        if (value != NULL && PyDict_CheckExact(value))
            value = PyDict_GetItemWithError(value, s_text);
        if (PyErr_Occurred() || set_if(flat, system_keys[i], value) < 0)
            goto fail;
    }
    created = attribute_of(PyDict_GetItemWithError(system, s_timecreated), s_systemtime);
    Py_XINCREF(created); /* owned from here (fail: releases it): merge() below runs Python code */
    if (PyErr_Occurred())
        goto fail;
    PyObject *data = PyDict_GetItemWithError(event, s_eventdata);
    if (PyErr_Occurred())
        goto fail;
    if (data != NULL) {
        int plain = plain_data(data);
        if (plain < 0)
            goto fail;
        if (plain) {
            if (PyDict_Update(flat, data) < 0)
                goto fail;
        }
        else if (data != Py_None) {
            PyObject *done = PyObject_CallFunctionObjArgs(merge, flat, data, NULL);
            if (done == NULL)
                goto fail;
            Py_DECREF(done);
        }
    }
    data = PyDict_GetItemWithError(event, s_userdata);
    if (PyErr_Occurred())
        goto fail;
    if (data != NULL && data != Py_None) {
        PyObject *done = PyObject_CallFunctionObjArgs(merge_user, flat, data, NULL);
        if (done == NULL)
            goto fail;
        Py_DECREF(done);
    }
    if (PyDict_SetItem(flat, s_dataset_key, s_dataset) < 0)
        goto fail;
    if (created != NULL && created != Py_None && PyDict_SetItem(flat, s_timestamp, created) < 0)
        goto fail;
    PyObject *computer = PyDict_GetItemWithError(flat, s_computer);
    if (PyErr_Occurred() || (computer != NULL && PyDict_SetItem(flat, s_host_name, computer) < 0))
        goto fail;
    PyObject *code = PyDict_GetItemWithError(flat, s_eventid);
    if (PyErr_Occurred())
        goto fail;
    if (code != NULL) {
        Py_INCREF(code); /* str() of an unusual value may run Python code */
        PyObject *text = PyObject_Str(code);
        Py_DECREF(code);
        if (text == NULL)
            goto fail;
        int failed = PyDict_SetItem(flat, s_event_code, text);
        Py_DECREF(text);
        if (failed < 0)
            goto fail;
    }
    Py_XDECREF(created);
    Py_DECREF(system);
    return flat;
fail:
    Py_XDECREF(created);
    Py_XDECREF(flat);
    Py_DECREF(system);
    return NULL;
}

static PyMethodDef methods[] = {
    {"collect", (PyCFunction)(void (*)(void))collect, METH_FASTCALL,
     "collect(index, start, end, flags, hits): the Hyperscan match callback, hits.add(index)."},
    {"event_text", (PyCFunction)(void (*)(void))event_text, METH_FASTCALL,
     "event_text(values, other): the values joined by newlines (str as is, int by str(), others by other())."},
    {"scan_bytes", (PyCFunction)scan_bytes, METH_O,
     "scan_bytes(text): the scan text as UTF-8, lowercased unless it is ASCII."},
    {"flatten_evtx", (PyCFunction)(void (*)(void))flatten_evtx, METH_FASTCALL,
     "flatten_evtx(event, event_id, merge, merge_user): an EVTX record's Event element as a flat dict."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_speedups",
    .m_doc = "C versions of per-event detection steps (see speedups.py).",
    .m_size = -1,
    .m_methods = methods,
};

static int
intern(PyObject **target, const char *text)
{
    *target = PyUnicode_InternFromString(text);
    return *target == NULL ? -1 : 0;
}

PyMODINIT_FUNC
PyInit__speedups(void)
{
    static const char *system_names[7] = {"Channel", "Computer", "Level", "Task", "Opcode", "Keywords",
                                          "EventRecordID"};
    if (intern(&s_event, "Event") || intern(&s_system, "System") || intern(&s_eventid, "EventID")
        || intern(&s_provider, "Provider") || intern(&s_provider_name, "Provider_Name")
        || intern(&s_name, "Name") || intern(&s_attributes, "#attributes") || intern(&s_text, "#text")
        || intern(&s_timecreated, "TimeCreated") || intern(&s_systemtime, "SystemTime")
        || intern(&s_eventdata, "EventData") || intern(&s_userdata, "UserData")
        || intern(&s_dataset_key, "event.dataset") || intern(&s_dataset, "windows.evtx")
        || intern(&s_timestamp, "@timestamp") || intern(&s_computer, "Computer")
        || intern(&s_host_name, "host.name") || intern(&s_event_code, "event.code")
        || intern(&newline, "\n"))
        return NULL;
    for (size_t i = 0; i < 7; i++) {
        if (intern(&system_keys[i], system_names[i]))
            return NULL;
    }
    for (int code = 0; code < 256; code++) {
        int upper = (code >= 0x41 && code <= 0x5A) || (code >= 0xC0 && code <= 0xDE && code != 0xD7);
        latin1_lower[code] = (unsigned char)(upper ? code + 0x20 : code);
    }
    if (literal_set_prepare() < 0)
        return NULL;
    PyObject *module = PyModule_Create(&module_definition);
    if (module != NULL && PyModule_AddObjectRef(module, "LiteralSet", (PyObject *)&LiteralSetType) < 0)
        Py_CLEAR(module);
    return module;
}
