/* ci_outputs.h -- the step outputs of `csprof ci` (GITHUB_OUTPUT):
 * output-dir, summary, html, regressed, and results, a JSON array with one
 * object per script (name, command, duration_s, exit_status, cpu_s,
 * max_rss_bytes, profiled, baseline, compared, regressed, verdict,
 * top_function).
 *
 * Promises: each value is written as name<<DELIM ... DELIM with a
 * delimiter the value does not contain; the file is closed exactly once;
 * a failure is one ::warning:: line. Nothing is written without
 * GITHUB_OUTPUT. */
#ifndef CSPROF_CI_OUTPUTS_H
#define CSPROF_CI_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "ci_run.h"

/* summary_path and html_path may be NULL (not written). */
void ci_write_step_outputs(const char *output_dir, const char *summary_path,
                           const char *html_path, const script_run *runs, size_t n,
                           bool regressed);

#endif
