/* VkFFT's compiled kernels in the cache folder (backend-vulkan/vk_fft.c,
 * backend-gpu/gpu_vkfft.c; OpenCL relies on the driver's cache, see
 * backend-opencl/cl_fft.c). A first run writes
 * one file per FFT shape under $XDG_CACHE_HOME/tessel/vkfft; a second run
 * loads them (the files are not rewritten); then each file is damaged in
 * turn (cut to half, overwritten with noise, its key altered as a stale
 * or foreign entry would be) and a run on it must still give TS_OK and the
 * right numbers, and leave a valid file behind.
 *
 *     test_vkfft_cache [--backend vulkan]
 *
 * ctest points XDG_CACHE_HOME at a scratch folder. Exit 77 when the
 * backend has no device here or its FFT path is not VkFFT. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessel/tessel.h"

#define MAX_FILES 16

static const char *g_backend = "vulkan";
static char g_dir[1024];

/* A float64 DFT of one row, numpy's sign and norm conventions. */
static void dft(const double *re, const double *im, int64_t n, int sign, double scale, double *ore,
                double *oim)
{
    for (int64_t k = 0; k < n; k++) {
        double sr = 0, si = 0;
        for (int64_t j = 0; j < n; j++) {
            double a = sign * 2.0 * M_PI * (double)((j * k) % n) / (double)n;
            sr += re[j] * cos(a) - im[j] * sin(a);
            si += re[j] * sin(a) + im[j] * cos(a);
        }
        ore[k] = scale * sr;
        oim[k] = scale * si;
    }
}

/* max |got - want| over one row, relative to the row's 2-norm. */
static double row_err(const float *got, int stride, const double *wre, const double *wim,
                      int64_t count, double norm)
{
    double e = 0;
    for (int64_t k = 0; k < count; k++) {
        double d = fabs(got[stride * k] - wre[k]);
        if (stride == 2)
            d = fmax(d, fabs(got[2 * k + 1] - wim[k]));
        e = fmax(e, d);
    }
    return e / (norm > 0 ? norm : 1);
}

/* ts_fft of [3, 60] c64 and ts_rfft (ortho) of [2, 30] f32, checked.
 * 0: right numbers; 77: not VkFFT here; else a failure. */
static int run_ffts(void)
{
    enum { R1 = 3, N1 = 60, R2 = 2, N2 = 30, B2 = N2 / 2 + 1 };
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    ts_tensor *x = NULL, *y = NULL, *r = NULL, *ry = NULL;
    float xh[R1 * N1 * 2], yh[R1 * N1 * 2], rh[R2 * N2], ryh[R2 * B2 * 2];
    for (int i = 0; i < R1 * N1 * 2; i++)
        xh[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
    for (int i = 0; i < R2 * N2; i++)
        rh[i] = (float)((i * 53) % 89) / 89.0f - 0.5f;
    char id[32];
    snprintf(id, sizeof id, "%s:0", g_backend);
    if (ts_context_create(&ctx) != TS_OK)
        return 1;
    if (ts_device_find(ctx, id, &dev) != TS_OK) {
        ts_context_destroy(ctx);
        return 77;
    }
    ts_device_info info;
    if (ts_device_info_get(dev, &info) != TS_OK || !strstr(info.features, "fft: vkfft")) {
        printf("SKIP: %s does not run VkFFT (%s)\n", id, info.features);
        ts_context_destroy(ctx);
        return 77;
    }
    ts_status st = ts_tensor_create(dev, TS_C64, 2, (int64_t[]){R1, N1}, &x);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_C64, 2, (int64_t[]){R1, N1}, &y);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R2, N2}, &r);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_C64, 2, (int64_t[]){R2, B2}, &ry);
    if (st == TS_OK)
        st = ts_tensor_write(x, xh, sizeof xh);
    if (st == TS_OK)
        st = ts_tensor_write(r, rh, sizeof rh);
    if (st == TS_OK)
        st = ts_fft(x, TS_FFT_BACKWARD, y);
    if (st == TS_OK)
        st = ts_rfft(r, 0, TS_FFT_ORTHO, ry);
    if (st == TS_OK)
        st = ts_tensor_read(y, yh, sizeof yh);
    if (st == TS_OK)
        st = ts_tensor_read(ry, ryh, sizeof ryh);
    int rc = 0;
    if (st != TS_OK) {
        fprintf(stderr, "FAIL: a call failed: %s: %s\n", ts_status_str(st), ts_last_error(ctx));
        rc = 1;
    }
    double re[N1], im[N1], wre[N1], wim[N1], worst = 0;
    for (int row = 0; !rc && row < R1; row++) {
        double norm = 0;
        for (int j = 0; j < N1; j++) {
            re[j] = xh[2 * (row * N1 + j)];
            im[j] = xh[2 * (row * N1 + j) + 1];
            norm += re[j] * re[j] + im[j] * im[j];
        }
        dft(re, im, N1, -1, 1.0, wre, wim);
        worst = fmax(worst, row_err(yh + 2 * row * N1, 2, wre, wim, N1, sqrt(norm)));
    }
    for (int row = 0; !rc && row < R2; row++) {
        double norm = 0;
        for (int j = 0; j < N2; j++) {
            re[j] = rh[row * N2 + j];
            im[j] = 0;
            norm += re[j] * re[j];
        }
        dft(re, im, N2, -1, 1.0 / sqrt((double)N2), wre, wim);
        worst = fmax(worst, row_err(ryh + 2 * row * B2, 2, wre, wim, B2, sqrt(norm)));
    }
    if (!rc && !(worst < 1e-5)) {
        fprintf(stderr, "FAIL: error %g relative to the row norm\n", worst);
        rc = 1;
    }
    ts_tensor_destroy(x);
    ts_tensor_destroy(y);
    ts_tensor_destroy(r);
    ts_tensor_destroy(ry);
    ts_context_destroy(ctx);
    return rc;
}

typedef struct cache_file {
    char path[1400];
    off_t size;
    struct timespec mtime;
} cache_file;

/* The files of the vkfft folder; -1 when it cannot be read. */
static int list_files(cache_file *out)
{
    DIR *d = opendir(g_dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < MAX_FILES) {
        if (e->d_name[0] == '.' || !strstr(e->d_name, ".bin") || strstr(e->d_name, ".tmp"))
            continue;
        struct stat sb;
        snprintf(out[n].path, sizeof out[n].path, "%s/%s", g_dir, e->d_name);
        if (stat(out[n].path, &sb) == 0) {
            out[n].size = sb.st_size;
            out[n].mtime = sb.st_mtim;
            n++;
        }
    }
    closedir(d);
    return n;
}

static void clear_folder(void)
{
    cache_file f[MAX_FILES];
    int n = list_files(f);
    for (int i = 0; i < n; i++)
        unlink(f[i].path);
}

enum { CUT, NOISE, STALE_KEY, DAMAGE_COUNT };
static const char *const damage_names[DAMAGE_COUNT] = {"cut to half", "noise", "stale key"};

static int damage(const cache_file *f, int how)
{
    if (how == CUT)
        return truncate(f->path, f->size / 2);
    FILE *fp = fopen(f->path, "r+b");
    if (!fp)
        return -1;
    int rc = 0;
    if (how == NOISE) {
        for (off_t i = 0; i < f->size && rc == 0; i++)
            rc = fputc((int)((i * 131 + 7) & 0xff), fp) == EOF ? -1 : 0;
    } else {
        /* The key follows a 32-byte header: change its first character,
         * as another VkFFT version or driver would have it. */
        rc = fseek(fp, 32, SEEK_SET) == 0 && fputc('#', fp) != EOF ? 0 : -1;
    }
    return fclose(fp) == 0 ? rc : -1;
}

/* A file whose magic is back and whose size is the original's. */
static int restored(const cache_file *f)
{
    struct stat sb;
    char magic[8];
    FILE *fp = fopen(f->path, "rb");
    int ok = fp && fread(magic, 1, 8, fp) == 8 && memcmp(magic, "TSVKFFT1", 8) == 0 &&
             stat(f->path, &sb) == 0 && sb.st_size > f->size / 2;
    if (fp)
        fclose(fp);
    return ok;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--backend") == 0)
            g_backend = argv[++i];
    if (strcmp(g_backend, "vulkan") != 0) {
        printf("SKIP: only Vulkan keeps VkFFT's kernels in the cache folder\n");
        return 77;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (!xdg || xdg[0] != '/') {
        fprintf(stderr, "FAIL: set XDG_CACHE_HOME to a scratch folder\n");
        return 1;
    }
    snprintf(g_dir, sizeof g_dir, "%s/tessel/vkfft", xdg);
    clear_folder();

    int rc = run_ffts();
    if (rc)
        return rc;
    cache_file first[MAX_FILES], again[MAX_FILES];
    int n = list_files(first);
    if (n < 2) {
        fprintf(stderr, "FAIL: %d files in %s after two FFT shapes\n", n, g_dir);
        return 1;
    }
    /* Loaded, not compiled again: compiling would rewrite the files. */
    if ((rc = run_ffts()) != 0)
        return rc;
    if (list_files(again) != n) {
        fprintf(stderr, "FAIL: the second run changed the number of files\n");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < n && strcmp(again[j].path, first[i].path) != 0)
            j++;
        if (j == n || again[j].mtime.tv_sec != first[i].mtime.tv_sec ||
            again[j].mtime.tv_nsec != first[i].mtime.tv_nsec) {
            fprintf(stderr, "FAIL: %s was rewritten: its kernels did not load\n", first[i].path);
            return 1;
        }
    }

    for (int how = 0; how < DAMAGE_COUNT; how++) {
        for (int i = 0; i < n; i++)
            if (damage(&first[i], how) != 0) {
                fprintf(stderr, "FAIL: cannot damage %s\n", first[i].path);
                return 1;
            }
        if ((rc = run_ffts()) != 0) {
            fprintf(stderr, "FAIL: with every file %s\n", damage_names[how]);
            return rc;
        }
        for (int i = 0; i < n; i++)
            if (!restored(&first[i])) {
                fprintf(stderr, "FAIL: %s (%s) was not replaced by a valid file\n", first[i].path,
                        damage_names[how]);
                return 1;
            }
        printf("ok: every file %s\n", damage_names[how]);
    }
    printf("ok: %d files written, loaded, and replaced after damage on %s:0\n", n, g_backend);
    return 0;
}
