/* SPDX-License-Identifier: MIT */
/* minicrit on Windows: a watchdog thread enforces .timeout, an unhandled
 * exception filter reports crashes. */
#include "mc_platform.h"

#include <windows.h>

#include <stdio.h>

static HANDLE done_event;
static DWORD timeout_ms;

static DWORD WINAPI watchdog(LPVOID arg)
{
    (void)arg;
    if (WaitForSingleObject(done_event, timeout_ms) == WAIT_TIMEOUT) {
        fprintf(stderr, "[FAIL] %s::%s: Timed out (%.1fs)\n", mc_current->suite,
                mc_current->name, timeout_ms / 1000.0);
        fprintf(stderr, "[====] Synthesis: aborted by timeout\n");
        fflush(NULL);
        TerminateProcess(GetCurrentProcess(), 1);
    }
    return 0;
}

static LONG WINAPI on_crash(EXCEPTION_POINTERS *ep)
{
    fprintf(stderr, "[FAIL] %s::%s: CRASH (exception 0x%08lx)\n",
            mc_current ? mc_current->suite : "?",
            mc_current ? mc_current->name : "?",
            (unsigned long)ep->ExceptionRecord->ExceptionCode);
    fprintf(stderr, "[====] Synthesis: aborted by a crash\n");
    fflush(NULL);
    TerminateProcess(GetCurrentProcess(), 1);
    return EXCEPTION_EXECUTE_HANDLER;
}

void mc_platform_init(void)
{
    /* No error dialogs under Wine or Windows. */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    SetUnhandledExceptionFilter(on_crash);
    done_event = CreateEventA(NULL, TRUE, FALSE, NULL);
}

void *mc_watch_start(double seconds)
{
    if (seconds <= 0)
        return NULL;
    timeout_ms = (DWORD)(seconds * 1000.0);
    ResetEvent(done_event);
    return CreateThread(NULL, 0, watchdog, NULL, 0, NULL);
}

void mc_watch_stop(void *watch)
{
    if (!watch)
        return;
    SetEvent(done_event);
    WaitForSingleObject((HANDLE)watch, INFINITE);
    CloseHandle((HANDLE)watch);
}

void mc_end_helper_thread(void)
{
    ExitThread(1);
}
