/* demangle.h -- readable names for C++ and Rust symbols of native frames.
 *
 * The demangling itself is libiberty's (GNU binutils' and GCC's demangler,
 * built from Debian's libiberty source package into build/deps, or
 * libiberty-dev for the glibc builds): we only choose its options and bound
 * what goes in and out. Itanium C++ names (_Z...) come out with parameter
 * types (DMGL_PARAMS | DMGL_ANSI), so overloads stay apart; Rust names,
 * legacy (_ZN...17h<hash>E, tried first because they are also valid C++
 * names) and v0 (_R...), come out without the hash. SIMD variants of the
 * vector function ABI (_ZGV..., libmvec's and "declare simd" clones), which
 * libiberty refuses, are read here: the scalar function's name and the
 * variant in brackets, "atan2f [SIMD: SSE, 4 lanes]".
 */
#ifndef CSPROF_DEMANGLE_H
#define CSPROF_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest symbol handed to the demangler: it works in stack arrays sized by
 * the input (about 64 bytes per input byte), and symbols come from files we
 * do not trust. Longer ones stay as they are. */
#define DEMANGLE_MAX_INPUT 16384

/* Writes the demangled form of sym to out (len >= 4, always terminated; a
 * name that does not fit ends in "..."). Returns false when sym is not a C++
 * or Rust mangled name (or is too long to try); out is then unspecified. */
bool demangle(const char *sym, char *out, size_t len);

/* True when name looks mangled: an Itanium C++ ("_Z") or Rust v0 ("_R" and
 * an upper-case letter) prefix. What tests and callers check for leftovers. */
bool demangle_looks_mangled(const char *name);

#endif
