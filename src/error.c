/* SPDX-License-Identifier: MIT */
/* Portable error codes: names, text, and the per-thread native code. */
#include "internal.h"

static _Thread_local int last_native_error;

void ps__set_native_error(int native)
{
    last_native_error = native;
}

int ps__keep_native(int r, int saved)
{
    if (r == 0 || r == PS_ETIMEDOUT || r == PS_EWOULDBLOCK)
        last_native_error = saved;
    return r;
}

int ps_native_error(void)
{
    return last_native_error;
}

struct error_text {
    int code;
    const char *name;
    const char *text;
};

/* From the header's list, so names and texts exist once. */
#define PS__ERROR_TEXT(name, value, text) {PS_##name, "PS_" #name, text},
static const struct error_text errors[] = {PS_ERROR_MAP(PS__ERROR_TEXT)};
#undef PS__ERROR_TEXT

static const struct error_text *find_error(int err)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err)
            return &errors[i];
    return NULL;
}

const char *ps_strerror(int err)
{
    const struct error_text *e = find_error(err);
    return e ? e->text : "unknown portsock error code";
}

const char *ps_errname(int err)
{
    const struct error_text *e = find_error(err);
    return e ? e->name : "PS_E?";
}
