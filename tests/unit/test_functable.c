/* Unit tests: the function table (one identity rule for every writer),
 * module-aware kinds and display paths, and the import-frame collapse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify.h"
#include "output.h"
#include "profile.h"

static int frame(profile *p, const char *fn, const char *file, int line, int first,
                 const char *module, bool import) {
    prof_frame f = {(char *)fn, (char *)file, line, first, FRAME_PYTHON, (char *)module, import};
    int i = prof_intern(p, &f);
    CHECK(i >= 0);
    return i;
}

static void stack(profile *p, uint64_t count, int n, const int *fr) {
    uint32_t f[64];
    for (int i = 0; i < n; i++) f[i] = (uint32_t)fr[i];
    CHECK(prof_add_stack(p, 0, false, f, (uint32_t)n, count) >= 0);
}

static char *render(output_writer w, const profile *p) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    output_opts o;
    output_opts_init(&o);
    CHECK_EQ_INT(w(p, f, &o), 0);
    fclose(f);
    return buf;
}

static int count_str(const char *hay, const char *needle) {
    int n = 0;
    for (const char *s = hay; s && (s = strstr(s, needle)) != NULL; s += strlen(needle)) n++;
    return n;
}

static int funcs_named(const profile *p, const char *name) {
    const prof_functable *t = prof_functions(p);
    int n = 0;
    for (size_t i = 0; i < prof_nfuncs(t); i++) n += strcmp(prof_func_at(t, i)->name, name) == 0;
    return n;
}

static int stats_named(const profile *p, const char *name) {
    prof_func_stat *st = NULL;
    long n = prof_function_stats(p, &st), k = 0;
    for (long i = 0; i < n; i++) k += strcmp(st[i].function, name) == 0;
    free(st);
    return (int)k;
}

/* 3.9 names a method by co_name: two classes' __init__ in one file differ
 * only by first line; 3.12 names two nested helpers defined in one function
 * alike. Every writer must see two functions in each case. */
TEST(same_name_functions_are_told_apart_everywhere) {
    profile *p = prof_new();
    prof_add_thread(p, 1, 1, "MainThread");
    int mod = frame(p, "<module>", "app/m.py", 30, 1, NULL, false);
    int i1 = frame(p, "__init__", "app/m.py", 4, 3, NULL, false);
    int i1b = frame(p, "__init__", "app/m.py", 5, 3, NULL, false);
    int i2 = frame(p, "__init__", "app/m.py", 12, 11, NULL, false);
    int h1 = frame(p, "run.<locals>.helper", "app/m.py", 21, 20, "__main__", false);
    int h2 = frame(p, "run.<locals>.helper", "app/m.py", 25, 24, "__main__", false);
    stack(p, 5, 2, (int[]){mod, i1});
    stack(p, 3, 2, (int[]){mod, i1b});
    stack(p, 4, 2, (int[]){mod, i2});
    stack(p, 2, 2, (int[]){mod, h1});
    stack(p, 6, 2, (int[]){mod, h2});
    CHECK_EQ_INT(prof_nfuncs(prof_functions(p)), 5);
    CHECK_EQ_INT(funcs_named(p, "__init__"), 2);
    CHECK_EQ_INT(funcs_named(p, "run.<locals>.helper"), 2);
    CHECK_EQ_INT(prof_func_of(prof_functions(p), (size_t)i1), prof_func_of(prof_functions(p), (size_t)i1b));
    CHECK_EQ_INT(stats_named(p, "__init__"), 2);
    CHECK_EQ_INT(stats_named(p, "run.<locals>.helper"), 2);
    char *svg = render(write_svg, p);
    CHECK_EQ_INT(count_str(svg, "<title>__init__&#10;"), 2);
    CHECK_EQ_INT(count_str(svg, "<title>run.&lt;locals&gt;.helper&#10;"), 2);
    free(svg);
    char *ss = render(write_speedscope, p);
    CHECK_EQ_INT(count_str(ss, "\"name\":\"__init__\""), 2);
    CHECK_EQ_INT(count_str(ss, "\"name\":\"run.<locals>.helper\""), 2);
    free(ss);
    prof_free(p);
}

TEST(kinds_by_module_and_display_paths) {
    profile *p = prof_new();
    prof_set_str(&prof_meta_of(p)->workspace, "/w/repo");
    prof_set_str(&prof_meta_of(p)->cwd, "/w/repo");
    int np = frame(p, "concatenate", "<__array_function__ internals>", 200, 177, "numpy", false);
    int il = frame(p, "_find_spec", "<frozen importlib._bootstrap>", 9, 8, "importlib._bootstrap", false);
    int fz = frame(p, "<module>", "<frozen site>", 9, 1, NULL, false);
    int me = frame(p, "gen", "<string>", 2, 1, "__main__", false);
    int sk = frame(p, "fit", "/usr/lib/python3/dist-packages/sklearn/gaussian_process/_gpr.py", 9, 5,
                   "sklearn.gaussian_process._gpr", false);
    int st = frame(p, "dumps", "/usr/lib/python3.11/json/__init__.py", 9, 5, "json", false);
    int yo = frame(p, "work", "/w/repo/src/job.py", 9, 5, "job", false);
    const prof_functable *t = prof_functions(p);
    const prof_func *f;
    CHECK_EQ_INT((f = prof_func_at(t, prof_func_of(t, (size_t)np)))->kind, CODE_THIRD_PARTY);
    CHECK_EQ_INT(prof_func_at(t, prof_func_of(t, (size_t)il))->kind, CODE_STDLIB);
    CHECK_EQ_INT(prof_func_at(t, prof_func_of(t, (size_t)fz))->kind, CODE_STDLIB);
    CHECK_EQ_INT(prof_func_at(t, prof_func_of(t, (size_t)me))->kind, CODE_YOURS);
    f = prof_func_at(t, prof_func_of(t, (size_t)sk));
    CHECK_EQ_INT(f->kind, CODE_THIRD_PARTY);
    CHECK_EQ_STR(f->path, "sklearn/gaussian_process/_gpr.py");
    CHECK(f->ws_path == NULL);
    f = prof_func_at(t, prof_func_of(t, (size_t)st));
    CHECK_EQ_INT(f->kind, CODE_STDLIB);
    CHECK_EQ_STR(f->path, "json/__init__.py");
    f = prof_func_at(t, prof_func_of(t, (size_t)yo));
    CHECK_EQ_INT(f->kind, CODE_YOURS);
    CHECK_EQ_STR(f->path, "src/job.py");
    CHECK_EQ_STR(f->ws_path, "src/job.py");
    CHECK_EQ_STR(f->module, "job");
    /* The table follows the metadata: another workspace, other paths. */
    prof_set_str(&prof_meta_of(p)->workspace, "/w");
    t = prof_functions(p);
    CHECK_EQ_STR(prof_func_at(t, prof_func_of(t, (size_t)yo))->ws_path, "repo/src/job.py");
    prof_free(p);
}

#define BOOT "<frozen importlib._bootstrap>"
#define EXT "<frozen importlib._bootstrap_external>"

/* `from a import b` inside the script, a.b imported through a: the tower of
 * importlib frames becomes "import a" / "import a.b", each above the module
 * code it runs; a run with no import frame (interpreter start-up) stays. */
TEST(import_machinery_collapses_to_one_frame_per_import) {
    profile *p = prof_new();
    prof_add_thread(p, 1, 1, "MainThread");
    int mod = frame(p, "<module>", "job.py", 1, 1, "__main__", false);
    int hf = frame(p, "_handle_fromlist", BOOT, 1243, 1217, NULL, false);
    int cw = frame(p, "_call_with_frames_removed", BOOT, 241, 233, NULL, false);
    int ia = frame(p, "import a", BOOT, 1176, 1165, "importlib._bootstrap", true);
    int ia2 = frame(p, "import a", BOOT, 1178, 1165, "importlib._bootstrap", true);
    int fu = frame(p, "_find_and_load_unlocked", BOOT, 1140, 1120, NULL, false);
    int iab = frame(p, "import a.b", BOOT, 1176, 1165, "importlib._bootstrap", true);
    int lu = frame(p, "_load_unlocked", BOOT, 690, 664, NULL, false);
    int em = frame(p, "exec_module", EXT, 940, 937, NULL, false);
    int amod = frame(p, "<module>", "/site/a/__init__.py", 3, 1, "a", false);
    int bmod = frame(p, "<module>", "/site/a/b.py", 3, 1, "a.b", false);
    int work = frame(p, "work", "/site/a/b.py", 9, 8, "a.b", false);
    int inst = frame(p, "_install", BOOT, 1500, 1498, NULL, false);
    stack(p, 7, 12, (int[]){mod, hf, cw, ia, fu, cw, iab, fu, lu, em, cw, bmod});
    stack(p, 2, 13, (int[]){mod, hf, cw, ia2, fu, cw, iab, fu, lu, em, cw, bmod, work});
    stack(p, 3, 7, (int[]){mod, hf, cw, ia, fu, lu, em});        /* leaf in the machinery */
    stack(p, 1, 6, (int[]){mod, ia, fu, lu, em, amod});
    stack(p, 4, 2, (int[]){inst, cw});
    uint64_t total = prof_total_samples(p);
    CHECK_EQ_INT(prof_collapse_imports(p), 0);
    CHECK_EQ_INT(prof_total_samples(p), total);
    /* Only used frames remain: the machinery in import runs is gone. */
    size_t nimport = 0;
    for (size_t i = 0; i < prof_nframes(p); i++) {
        const prof_frame *f = prof_frame_at(p, i);
        if (f->import) {
            nimport++;
            CHECK_EQ_INT(f->line, 0);
            CHECK_EQ_INT(f->first_line, 0);
        }
        CHECK(!(f->function && !strcmp(f->function, "_find_and_load_unlocked")));
        CHECK(!(f->function && !strcmp(f->function, "exec_module")));
    }
    CHECK_EQ_INT(nimport, 2);   /* "import a" at two lines became one frame */
    char *folded = render(write_folded, p);
    CHECK_EQ_STR(folded,
                 "<module> (job.py:1);import a (" BOOT ");import a.b (" BOOT ");<module> (/site/a/b.py:3) 7\n"
                 "<module> (job.py:1);import a (" BOOT ");import a.b (" BOOT ");<module> (/site/a/b.py:3);work (/site/a/b.py:9) 2\n"
                 "<module> (job.py:1);import a (" BOOT ") 3\n"
                 "<module> (job.py:1);import a (" BOOT ");<module> (/site/a/__init__.py:3) 1\n"
                 "_install (" BOOT ":1500);_call_with_frames_removed (" BOOT ":241) 4\n");
    free(folded);
    /* The JSON carries both (old JSON without them reads as before). */
    char *json = render(write_profile_json, p);
    CHECK(strstr(json, "\"import\":true") != NULL);
    CHECK(strstr(json, "\"module\":\"a.b\"") != NULL);
    free(json);
    prof_free(p);
}

int main(void) {
    RUN(same_name_functions_are_told_apart_everywhere);
    RUN(kinds_by_module_and_display_paths);
    RUN(import_machinery_collapses_to_one_frame_per_import);
    return check_summary();
}
