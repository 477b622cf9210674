/* classify.h -- "what kind of code is this frame?", one rule for every report.
 *
 * Rule, in order:
 *   native frame                                  -> native
 *   path contains /site-packages/ or /dist-packages/ -> third-party
 *   pseudo-file (<...>) of a known module (3.11+: the function's __module__):
 *     by the module's top-level package: a standard-library module
 *     (sys.stdlib_module_names, src/stdlib_names_gen.h) -> stdlib,
 *     __main__ -> yours, anything else (numpy's `<__array_function__
 *     internals>`)                                    -> third-party
 *   path under the interpreter's stdlib (/lib/pythonX.Y/), or a pseudo-file
 *     of unknown module (<frozen ...>, <built-in>, <string>) -> stdlib
 *   path under the workspace (GITHUB_WORKSPACE, else the command's cwd),
 *     or a relative path                              -> yours
 *   anything else                                     -> third-party
 * Idle is a property of a sample, not of a frame: callers pass it in.
 */
#ifndef CSPROF_CLASSIFY_H
#define CSPROF_CLASSIFY_H

#include "profile.h"

/* code_kind is defined in profile.h (the function table carries it). */

code_kind classify_frame(const profile *p, const prof_frame *f);
code_kind classify_func(const profile *p, const char *file, frame_type type);
/* The same, knowing the function's module (NULL when unknown). */
code_kind classify_func_module(const profile *p, const char *file, const char *module,
                               frame_type type);
/* importlib's bootstrap, frozen (`<frozen importlib._bootstrap>`,
 * `..._bootstrap_external>`) or from source (-X frozen_modules=off): the
 * import machinery that profile.h collapses into one frame per import. */
bool classify_importlib_file(const char *file);
/* Is this frame import machinery: the one frame an import was collapsed
 * into (f->import), or a frame of importlib's bootstrap or zipimport left
 * as it was (profiles recorded before imports were collapsed, or an import
 * run with no `_find_and_load` in it)? Every report asks here. */
bool classify_frame_is_import(const prof_frame *f);
/* Collapses "//", "/./" and "dir/.." of an absolute path, in place: how
 * every report compares a frame's file with the workspace. */
void classify_normalise_path(char *path);
/* "your code", "stdlib", "third-party", "native", "idle", "root" */
const char *code_kind_name(code_kind k);

/* The dotted module of a Python extension module's file, written to out
 * (cut to len), or false when path is no such file: its name is the file
 * name up to the first dot, and the file is tagged as one CPython imports
 * ("x.cpython-311-x86_64-linux-gnu.so", "x.abi3.so"; a bare "x.so" is as
 * often a library a package bundles, torch/lib/libtorch_cpu.so). Its
 * packages are the directories below the last site-packages, dist-packages
 * or lib-dynload, up to the first that is no identifier; elsewhere (a
 * build tree) the module alone. What native code no symbol names is
 * called (unwind.h) and whose it is (the summary). */
bool classify_extension_module(const char *path, char *out, size_t len);

#endif
