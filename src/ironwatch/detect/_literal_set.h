/* LiteralSet: which of many lowercase literals occur in a text (see _literal_set.c). */
#ifndef IRONWATCH_LITERAL_SET_H
#define IRONWATCH_LITERAL_SET_H

#include <Python.h>

extern PyTypeObject LiteralSetType;

/* the module init calls this once, before adding the type */
int literal_set_prepare(void);

#endif
