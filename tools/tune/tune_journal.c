/* What tessel-tune is trying, kept on disk, so that a candidate which
 * crashes or hangs the driver (a compiler that cannot build an odd tile)
 * ends one run, not every later one. Before each candidate the tool
 * writes "<tuned file>.trying" (driver, group, values) and removes it
 * after. A run that finds the file left behind moves its line to
 * "<tuned file>.crashed", and candidates listed there for this driver are
 * skipped from then on, with a line saying so. Ctrl-C during a candidate
 * counts too: it is how a user stops a hang. Deleting the .crashed file
 * tries them all again. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tuning.h"
#include "tune.h"

/* One journal line: fields without tabs or newlines. */
static void line_for(const tune_journal *j, const char *group, const char *values, char *out,
                     size_t len)
{
    snprintf(out, len, "%s\t%s\t%s\n", j->driver, group, values);
    for (char *p = out; p[0] && p[1]; p++)
        if (*p == '\n')
            *p = ' ';
}

void tune_journal_open(tune_journal *j, const ts_device_info *info)
{
    memset(j, 0, sizeof *j);
    char path[sizeof j->trying - 16];
    if (!tsi_tuned_file_path(info, path, sizeof path))
        return; /* no cache folder: nothing to keep */
    snprintf(j->trying, sizeof j->trying, "%s.trying", path);
    snprintf(j->crashed, sizeof j->crashed, "%s.crashed", path);
    snprintf(j->driver, sizeof j->driver, "%s", info->driver);
    for (char *p = j->driver; *p; p++)
        if (*p == '\t' || *p == '\n')
            *p = ' ';
    /* Either file may be missing or unreadable: then there is nothing to
     * keep from it. */
    char *left = NULL;
    size_t len;
    const char *why;
    if (tsi_tuning_read_file(j->crashed, &j->list, &len, &why) != TS_OK)
        j->list = NULL;
    if (tsi_tuning_read_file(j->trying, &left, &len, &why) != TS_OK)
        left = NULL;
    if (left && left[0]) {
        size_t old = j->list ? strlen(j->list) : 0;
        char *list = malloc(old + strlen(left) + 2);
        if (list) {
            snprintf(list, old + strlen(left) + 2, "%s%s%s", j->list ? j->list : "", left,
                     left[strlen(left) - 1] == '\n' ? "" : "\n");
            if (tsi_tuned_file_write(j->crashed, list) == TS_OK) {
                free(j->list);
                j->list = list;
            } else {
                free(list);
            }
        }
        /* "driver<TAB>group<TAB>values": shown as "group [values]". */
        char *group = strchr(left, '\t');
        group = group ? group + 1 : left;
        char *values = strchr(group, '\t');
        if (values)
            *values++ = '\0';
        values = values ? values : "";
        values[strcspn(values, "\n")] = '\0';
        fprintf(stderr,
                "tessel-tune: an earlier run on %s ended while it tried %s [%s] (a crash, a "
                "hang or Ctrl-C): that candidate is skipped from now on with this driver; %s "
                "lists the skipped ones (delete it to try them again)\n",
                info->id, group, values, j->crashed);
    }
    free(left);
    remove(j->trying);
    j->on = true;
}

bool tune_journal_crashed(const tune_journal *j, const char *group, const char *values)
{
    if (!j->on || !j->list)
        return false;
    char line[2048];
    line_for(j, group, values, line, sizeof line);
    for (const char *p = j->list; (p = strstr(p, line)) != NULL; p++)
        if (p == j->list || p[-1] == '\n')
            return true;
    return false;
}

void tune_journal_begin(const tune_journal *j, const char *group, const char *values)
{
    if (!j->on)
        return;
    char line[2048];
    line_for(j, group, values, line, sizeof line);
    (void)tsi_tuned_file_write(j->trying, line); /* best effort: tuning goes on */
}

void tune_journal_end(const tune_journal *j)
{
    if (j->on)
        remove(j->trying);
}

void tune_journal_close(tune_journal *j)
{
    free(j->list);
    j->list = NULL;
    j->on = false;
}
