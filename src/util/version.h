/* version.h -- CSPROF_VERSION is the release; CSPROF_COMMIT is passed by the
 * Makefile (-DCSPROF_COMMIT=...) from `git rev-parse HEAD` of the source tree. */
#ifndef CSPROF_VERSION_H
#define CSPROF_VERSION_H
#define CSPROF_VERSION "0.1.0"
#ifndef CSPROF_COMMIT
#define CSPROF_COMMIT "unknown"
#endif
#endif
