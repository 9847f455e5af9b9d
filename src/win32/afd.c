/* SPDX-License-Identifier: MIT */
/* Socket readiness through the AFD driver (the one behind Winsock): an
 * IOCTL_AFD_POLL request on a handle to \Device\Afd completes, through the
 * I/O completion port that handle is associated with, when the socket is
 * ready. ntdll's entry points are looked up once. */
#include "poller.h"

#include <stdint.h>

#define AFD_RECEIVE 0x0001u
#define AFD_SEND 0x0004u
#define AFD_DISCONNECT 0x0008u
#define AFD_ABORT 0x0010u
#define AFD_LOCAL_CLOSE 0x0020u
#define AFD_ACCEPT 0x0080u
#define AFD_CONNECT_FAIL 0x0100u

#define IOCTL_AFD_POLL 0x00012024u
#define NT_STATUS_PENDING ((NTSTATUS)0x00000103L)
#define NT_STATUS_CANCELLED ((NTSTATUS)0xC0000120L)

#ifndef SIO_BASE_HANDLE
#define SIO_BASE_HANDLE _WSAIOR(IOC_WS2, 34)
#endif
#ifndef SIO_BSP_HANDLE
#define SIO_BSP_HANDLE _WSAIOR(IOC_WS2, 27)
#endif
#ifndef SIO_BSP_HANDLE_SELECT
#define SIO_BSP_HANDLE_SELECT _WSAIOR(IOC_WS2, 28)
#endif
#ifndef SIO_BSP_HANDLE_POLL
#define SIO_BSP_HANDLE_POLL _WSAIOR(IOC_WS2, 29)
#endif

typedef NTSTATUS(NTAPI *create_file_fn)(PHANDLE, ACCESS_MASK,
                                        POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK,
                                        PLARGE_INTEGER, ULONG, ULONG, ULONG,
                                        ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *ioctl_fn)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID,
                                  PIO_STATUS_BLOCK, ULONG, PVOID, ULONG, PVOID,
                                  ULONG);
typedef NTSTATUS(NTAPI *cancel_fn)(HANDLE, PIO_STATUS_BLOCK, PIO_STATUS_BLOCK);
typedef ULONG(NTAPI *to_dos_fn)(NTSTATUS);

static struct {
    create_file_fn create_file;
    ioctl_fn ioctl;
    cancel_fn cancel;
    to_dos_fn to_dos;
} nt;
static INIT_ONCE nt_once = INIT_ONCE_STATIC_INIT;

/* Through void (*)(void), which converts to any function pointer type
 * without a cast-function-type warning. */
typedef void (*any_fn)(void);
static any_fn sym(HMODULE m, const char *name)
{
    return (any_fn)(void (*)(void))GetProcAddress(m, name);
}

static BOOL CALLBACK nt_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    HMODULE m = GetModuleHandleW(L"ntdll.dll");
    (void)once;
    (void)param;
    (void)ctx;
    if (m == NULL)
        return FALSE;
    nt.create_file = (create_file_fn)sym(m, "NtCreateFile");
    nt.ioctl = (ioctl_fn)sym(m, "NtDeviceIoControlFile");
    nt.cancel = (cancel_fn)sym(m, "NtCancelIoFileEx");
    nt.to_dos = (to_dos_fn)sym(m, "RtlNtStatusToDosError");
    return nt.create_file && nt.ioctl && nt.cancel && nt.to_dos;
}

static int nt_error(NTSTATUS st)
{
    DWORD err = nt.to_dos(st);
    ps__set_native_error((int)err);
    switch (err) {
    case ERROR_INVALID_HANDLE:
    case ERROR_NOT_SUPPORTED:
    case ERROR_INVALID_FUNCTION:
        return PS_EBADF;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:
    case ERROR_OUTOFMEMORY:
        return PS_ENOMEM;
    case ERROR_TOO_MANY_OPEN_FILES:
        return PS_EMFILE;
    default:
        return PS_EUNKNOWN;
    }
}

int ps__afd_open(HANDLE port, ULONG_PTR key, HANDLE *out)
{
    static WCHAR name[] = L"\\Device\\Afd\\portsock";
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    HANDLE h = NULL;
    NTSTATUS st;
    *out = NULL;
    if (!InitOnceExecuteOnce(&nt_once, nt_init, NULL, NULL)) {
        ps__set_native_error((int)GetLastError());
        return PS_ENOTSUP;
    }
    us.Buffer = name;
    us.Length = (USHORT)(sizeof name - sizeof name[0]);
    us.MaximumLength = (USHORT)sizeof name;
    ZeroMemory(&oa, sizeof oa);
    oa.Length = sizeof oa;
    oa.ObjectName = &us;
    st = nt.create_file(&h, SYNCHRONIZE, &oa, &iosb, NULL, 0,
                        FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, NULL,
                        0);
    if (!NT_SUCCESS(st)) {
        int rc = nt_error(st);
        return rc == PS_EBADF ? PS_ENOTSUP : rc;
    }
    if (CreateIoCompletionPort(h, port, key, 0) == NULL) {
        ps__set_native_error((int)GetLastError());
        CloseHandle(h);
        return PS_ENOMEM;
    }
    /* Completions come through the port; the handle's own event is not
     * needed. */
    SetFileCompletionNotificationModes(h, FILE_SKIP_SET_EVENT_ON_HANDLE);
    *out = h;
    return 0;
}

ULONG ps__afd_mask(unsigned events)
{
    /* A reset and a close are always of interest (ERROR, HUP, INVALID). An
     * orderly close only with READ: a writer that cannot write yet would
     * otherwise be woken again and again by a peer's half-close. A failed
     * connect only with WRITE, as ps_select reports it. */
    ULONG m = AFD_ABORT | AFD_LOCAL_CLOSE;
    if (events & PS_POLL_READ)
        m |= AFD_RECEIVE | AFD_ACCEPT | AFD_DISCONNECT;
    if (events & PS_POLL_WRITE)
        m |= AFD_SEND | AFD_CONNECT_FAIL;
    return m;
}

int ps__afd_poll(HANDLE afd, SOCKET base, unsigned events,
                 ps__afd_poll_info *info, IO_STATUS_BLOCK *iosb)
{
    NTSTATUS st;
    info->timeout.QuadPart = INT64_MAX;
    info->count = 1;
    info->exclusive = FALSE;
    info->handles[0].handle = (HANDLE)base;
    info->handles[0].events = ps__afd_mask(events);
    info->handles[0].status = 0;
    iosb->Status = NT_STATUS_PENDING;
    iosb->Information = 0;
    st = nt.ioctl(afd, NULL, NULL, iosb, iosb, IOCTL_AFD_POLL, info,
                  sizeof *info, info, sizeof *info);
    if (st == NT_STATUS_PENDING || NT_SUCCESS(st))
        return 0;
    return nt_error(st);
}

void ps__afd_cancel(HANDLE afd, IO_STATUS_BLOCK *iosb)
{
    IO_STATUS_BLOCK cancel_iosb;
    /* Fails only when the poll has completed already: its completion is
     * on its way then. */
    (void)nt.cancel(afd, iosb, &cancel_iosb);
}

int ps__afd_cancelled(const IO_STATUS_BLOCK *iosb)
{
    return iosb->Status == NT_STATUS_CANCELLED;
}

unsigned ps__afd_revents(const ps__afd_poll_info *info,
                         const IO_STATUS_BLOCK *iosb, unsigned events)
{
    unsigned rw = events & (PS_POLL_READ | PS_POLL_WRITE), r = 0;
    ULONG ev;
    if (!NT_SUCCESS(iosb->Status))
        return PS_POLL_INVALID;
    if (info->count < 1)
        return 0;
    ev = info->handles[0].events;
    if (ev & AFD_LOCAL_CLOSE)
        return PS_POLL_INVALID;
    if (ev & (AFD_RECEIVE | AFD_ACCEPT))
        r |= rw & PS_POLL_READ;
    if (ev & AFD_DISCONNECT)
        r |= (rw & PS_POLL_READ) | PS_POLL_HUP;
    if (ev & AFD_SEND)
        r |= rw & PS_POLL_WRITE;
    /* Reads and writes fail at once after a reset or a failed connect. */
    if (ev & AFD_ABORT)
        r |= rw | PS_POLL_ERROR | PS_POLL_HUP;
    if (ev & AFD_CONNECT_FAIL)
        r |= rw | PS_POLL_ERROR;
    return r;
}

static SOCKET ask(SOCKET s, DWORD code)
{
    SOCKET base = INVALID_SOCKET;
    DWORD bytes = 0;
    if (WSAIoctl(s, code, NULL, 0, &base, sizeof base, &bytes, NULL, NULL) != 0)
        return INVALID_SOCKET;
    return base;
}

/* A layered provider (LSP) may refuse SIO_BASE_HANDLE; the handles it
 * gives out for poll and select are then the provider's own socket. */
SOCKET ps__afd_base(SOCKET s)
{
    static const DWORD codes[] = {SIO_BASE_HANDLE, SIO_BSP_HANDLE_POLL,
                                  SIO_BSP_HANDLE_SELECT, SIO_BSP_HANDLE};
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        SOCKET base = ask(s, codes[i]);
        if (base != INVALID_SOCKET)
            return base;
    }
    return s;
}
