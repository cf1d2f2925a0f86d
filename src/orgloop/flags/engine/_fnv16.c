/* GrowthBook's hashes in C: FNV-1a 32 over the UTF-16 code units of a str, as JavaScript's
 * charCodeAt sees it, read straight from the str's own storage (no encoding, no copy).
 *
 * Optional: hashing.py checks this module against its pure-Python twin on known values at import
 * and falls back to the pure version when the module is absent (no compiler at install) or
 * disagrees. Built by hatch_build.py at install time.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>

#define FNV_OFFSET 0x811C9DC5u
#define FNV_PRIME 0x01000193u

static inline uint32_t
fnv_units(PyObject *text, uint32_t h)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND: {
        const Py_UCS1 *p = (const Py_UCS1 *)data;
        for (Py_ssize_t i = 0; i < n; i++) {
            h = (h ^ p[i]) * FNV_PRIME;
        }
        break;
    }
    case PyUnicode_2BYTE_KIND: {
        /* Lone surrogates are code units of their own, as in JavaScript. */
        const Py_UCS2 *p = (const Py_UCS2 *)data;
        for (Py_ssize_t i = 0; i < n; i++) {
            h = (h ^ p[i]) * FNV_PRIME;
        }
        break;
    }
    default: {
        const Py_UCS4 *p = (const Py_UCS4 *)data;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = p[i];
            if (c >= 0x10000) { /* a surrogate pair: two code units */
                c -= 0x10000;
                h = (h ^ (0xD800u + (c >> 10))) * FNV_PRIME;
                h = (h ^ (0xDC00u + (c & 0x3FFu))) * FNV_PRIME;
            }
            else {
                h = (h ^ c) * FNV_PRIME;
            }
        }
    }
    }
    return h;
}

static inline uint32_t
fnv_decimal(uint32_t value)
{
    /* FNV-1a of str(value): the digits are ASCII, one code unit each. */
    char digits[16];
    int n = snprintf(digits, sizeof digits, "%u", (unsigned)value);
    uint32_t h = FNV_OFFSET;
    for (int i = 0; i < n; i++) {
        h = (h ^ (unsigned char)digits[i]) * FNV_PRIME;
    }
    return h;
}

static int
two_strings(PyObject *const *args, Py_ssize_t nargs, const char *name)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s() takes 2 arguments (%zd given)", name, nargs);
        return 0;
    }
    if (!PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_Format(PyExc_TypeError, "%s() takes two str arguments", name);
        return 0;
    }
    return 1;
}

static PyObject *
fnv1a32(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    uint32_t h = FNV_OFFSET;
    if (nargs < 1 || nargs > 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "fnv1a32(text: str, state: int = offset basis)");
        return NULL;
    }
    if (nargs == 2) {
        unsigned long state = PyLong_AsUnsignedLongMask(args[1]);
        if (state == (unsigned long)-1 && PyErr_Occurred()) {
            return NULL;
        }
        h = (uint32_t)state;
    }
    return PyLong_FromUnsignedLong(fnv_units(args[0], h));
}

static PyObject *
hash_v1(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    /* (fnv1a32(value + seed) % 1000) / 1000 */
    if (!two_strings(args, nargs, "hash_v1")) {
        return NULL;
    }
    uint32_t h = fnv_units(args[0], fnv_units(args[1], FNV_OFFSET));
    return PyFloat_FromDouble((double)(h % 1000u) / 1000.0);
}

static PyObject *
hash_v2(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    /* (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000 */
    if (!two_strings(args, nargs, "hash_v2")) {
        return NULL;
    }
    uint32_t h = fnv_decimal(fnv_units(args[1], fnv_units(args[0], FNV_OFFSET)));
    return PyFloat_FromDouble((double)(h % 10000u) / 10000.0);
}

static PyMethodDef methods[] = {
    {"fnv1a32", (PyCFunction)(void (*)(void))fnv1a32, METH_FASTCALL,
     "FNV-1a 32 over the UTF-16 code units of text, from state (default the offset basis)."},
    {"hash_v1", (PyCFunction)(void (*)(void))hash_v1, METH_FASTCALL,
     "GrowthBook's hash version 1 of (seed, value)."},
    {"hash_v2", (PyCFunction)(void (*)(void))hash_v2, METH_FASTCALL,
     "GrowthBook's hash version 2 of (seed, value)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fnv16", "GrowthBook's FNV-1a hashes over UTF-16 code units.", 0,
    methods,
};

PyMODINIT_FUNC
PyInit__fnv16(void)
{
    return PyModuleDef_Init(&module);
}
