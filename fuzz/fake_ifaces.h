/* SPDX-License-Identifier: MIT */
/* A fixed interface table for the address targets, standing in for the
 * system's: if_nametoindex and if_indextoname defined here take the place
 * of libc's (the program's own definition wins at link time, for portsock's
 * calls too). Why: the real lookups are two system calls each (a socket and
 * an ioctl), which made ps_addr_format ~10 times slower on a zone; the
 * machine's interfaces differ between hosts, so a finding would not
 * reproduce elsewhere; and no real host has all-digit or odd names, which
 * the header has rules for. Names are at most IF_NAMESIZE - 1 bytes, as the
 * system guarantees. Include from one file per program only. */
#ifndef PS_FUZZ_FAKE_IFACES_H
#define PS_FUZZ_FAKE_IFACES_H

#include <errno.h>
#include <net/if.h>
#include <string.h>

static const struct fake_iface {
    unsigned index;
    const char *name;
} fake_ifaces[] = {
    {1, "lo"},
    {2, "eth0"},
    {3, "42"},              /* all digits: printed as the index */
    {4, "0"},
    {5, "wlp0s20f3abcdef"}, /* IF_NAMESIZE - 1 bytes */
    {6, "a]b%c"},           /* ']' and '%' are allowed in Linux names */
    {7, "7x"},
    {4294967295u, "max0"},
};

unsigned if_nametoindex(const char *name)
{
    for (size_t i = 0; i < sizeof fake_ifaces / sizeof fake_ifaces[0]; i++)
        if (strcmp(fake_ifaces[i].name, name) == 0)
            return fake_ifaces[i].index;
    errno = ENODEV;
    return 0;
}

char *if_indextoname(unsigned index, char *name)
{
    for (size_t i = 0; i < sizeof fake_ifaces / sizeof fake_ifaces[0]; i++)
        if (fake_ifaces[i].index == index) {
            strcpy(name, fake_ifaces[i].name);
            return name;
        }
    errno = ENXIO;
    return NULL;
}

#endif
