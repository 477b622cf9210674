/* classify.h -- "what kind of code is this frame?", one rule for every report.
 *
 * Rule, in order:
 *   native frame                                  -> native
 *   path contains /site-packages/ or /dist-packages/ -> third-party
 *   path under the interpreter's stdlib (/lib/pythonX.Y/, or <frozen ...>,
 *     or <built-in>)                                  -> stdlib
 *   path under the workspace (GITHUB_WORKSPACE, else the command's cwd),
 *     or a relative path                              -> yours
 *   anything else                                     -> third-party
 * Idle is a property of a sample, not of a frame: callers pass it in.
 */
#ifndef CSPROF_CLASSIFY_H
#define CSPROF_CLASSIFY_H

#include "profile.h"

typedef enum {
    CODE_YOURS = 0,
    CODE_STDLIB,
    CODE_THIRD_PARTY,
    CODE_NATIVE,
    CODE_IDLE,
    CODE_SYNTHETIC,   /* process/thread roots */
    CODE_KIND_COUNT
} code_kind;

code_kind classify_frame(const profile *p, const prof_frame *f);
code_kind classify_func(const profile *p, const char *file, frame_type type);
/* importlib's bootstrap, frozen (`<frozen importlib._bootstrap>`,
 * `..._bootstrap_external>`) or from source (-X frozen_modules=off): the
 * import machinery that profile.h collapses into one frame per import. */
bool classify_importlib_file(const char *file);
/* "your code", "stdlib", "third-party", "native", "idle", "root" */
const char *code_kind_name(code_kind k);

#endif
