/* float64 reference of the MoE layer; see ref_moe_layer.h. Each output
 * also gets a magnitude, the scale its f32 / f16 / bf16 rounding error
 * grows with (registry.h), derived below step by step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_moe_layer.h"

void ref_moe_capacity(const ts_moe_params *p, int64_t t, int64_t *capacity, int64_t *rows)
{
    int64_t e = p->n_experts, k = p->k, cap = -1;
    if (p->capacity >= 0) {
        cap = p->capacity;
    } else if (p->capacity_factor > 0.0f) {
        cap = (int64_t)ceil((double)k * (double)t / (double)e * (double)p->capacity_factor);
        if (cap < p->min_capacity)
            cap = p->min_capacity;
    }
    int64_t r = t * k;
    if (cap >= 0 && cap * e < r)
        r = cap * e;
    *capacity = cap;
    *rows = r;
}

/* Router logits h [T, E] and their magnitudes. */
static void logits(const ref_moe_in *in, ref_moe_out *out)
{
    int64_t t = in->t, d = in->d, e = in->e, dr = in->dr;
    for (int64_t i = 0; i < t; i++) {
        const double *x = in->x + i * d;
        if (!in->xmoe) {
            for (int64_t j = 0; j < e; j++) {
                double s = 0, m = 0;
                for (int64_t l = 0; l < d; l++) {
                    s += x[l] * in->router[l * e + j];
                    m += fabs(x[l] * in->router[l * e + j]);
                }
                out->logits[i * e + j] = s;
                out->logit_mag[i * e + j] = m;
            }
            continue;
        }
        double r[256], rm[256], rn = 0;
        for (int64_t c = 0; c < dr; c++) {
            r[c] = rm[c] = 0;
            for (int64_t l = 0; l < d; l++) {
                r[c] += x[l] * in->wred[l * dr + c];
                rm[c] += fabs(x[l] * in->wred[l * dr + c]);
            }
            rn += r[c] * r[c];
        }
        rn = sqrt(rn);
        double rscale = in->skip_token_norm ? 1.0 : 1.0 / (rn > 1e-4 ? rn : 1e-4);
        double tau = in->temperature > 1e-4 ? in->temperature : 1e-4;
        for (int64_t j = 0; j < e; j++) {
            const double *em = in->emb + j * dr;
            double en = 0;
            for (int64_t c = 0; c < dr; c++)
                en += em[c] * em[c];
            en = sqrt(en);
            double escale = 1.0 / (en > 1e-4 ? en : 1e-4), s = 0, m = 0, mr = 0;
            for (int64_t c = 0; c < dr; c++) {
                s += r[c] * rscale * em[c] * escale;
                m += fabs(r[c] * rscale * em[c] * escale);
                mr += rm[c] * fabs(em[c] * escale);
            }
            /* A normalized r carries a relative error of its own norm; a
             * raw one the error of x . W_red. */
            out->logits[i * e + j] = s / tau;
            out->logit_mag[i * e + j] = (1 + m + (in->skip_token_norm ? mr : 0)) / tau;
        }
    }
}

/* p = softmax(h) or sigmoid(h); prob_mag: p times the relative error its
 * exponential and the logits' error give it. */
static void probs(const ref_moe_in *in, ref_moe_out *out)
{
    int64_t e = in->e;
    for (int64_t i = 0; i < in->t; i++) {
        const double *h = out->logits + i * e, *hm = out->logit_mag + i * e;
        double *p = out->probs + i * e, *pm = out->prob_mag + i * e;
        double mx = -INFINITY, lm = 0, sum = 0;
        for (int64_t j = 0; j < e; j++) {
            mx = h[j] > mx ? h[j] : mx;
            lm = hm[j] > lm ? hm[j] : lm;
        }
        for (int64_t j = 0; j < e; j++) {
            if (in->xmoe && in->sigmoid) {
                p[j] = 1 / (1 + exp(-h[j]));
                pm[j] = p[j] * (2 + fabs(h[j]) + 2 * hm[j]);
            } else {
                p[j] = exp(h[j] - mx);
                sum += p[j];
            }
        }
        if (in->xmoe && in->sigmoid)
            continue;
        for (int64_t j = 0; j < e; j++) {
            p[j] /= sum;
            pm[j] = p[j] * (2 + fabs(h[j] - mx) + 2 * lm);
        }
    }
}

/* The k largest of p[0..e), descending, ties to the lower index. */
static void ranking(const double *p, int64_t e, int64_t k, int32_t *idx)
{
    for (int64_t c = 0; c < k; c++) {
        int32_t best = -1;
        for (int64_t j = 0; j < e; j++) {
            int taken = 0;
            for (int64_t q = 0; q < c; q++)
                taken |= idx[q] == j;
            if (!taken && (best < 0 || p[j] > p[best]))
                best = (int32_t)j;
        }
        idx[c] = best;
    }
}

/* The device's choices for one token are an equally good ranking when they
 * are distinct and each has (within the ambiguity) the probability the
 * reference ranks at that place, or the ranking at the k-th place is
 * itself unclear. */
static int device_ranking_ok(const ref_moe_in *in, const double *p, const int32_t *ref,
                             const int32_t *dev)
{
    double top = p[ref[0]];
    for (int64_t c = 0; c < in->k; c++) {
        if (dev[c] < 0 || dev[c] >= in->e)
            return 0;
        for (int64_t q = 0; q < c; q++)
            if (dev[q] == dev[c])
                return 0;
        if (fabs(p[dev[c]] - p[ref[c]]) > in->ambiguity * top)
            return 0;
    }
    return 1;
}

static void choose(const ref_moe_in *in, ref_moe_out *out)
{
    int64_t e = in->e, k = in->k;
    out->adopted = 0;
    for (int64_t i = 0; i < in->t; i++) {
        const double *p = out->probs + i * e, *pm = out->prob_mag + i * e;
        int32_t *idx = out->expert + i * k;
        ranking(p, e, k, idx);
        if (in->ambiguity > 0 && in->device_expert) {
            const int32_t *dev = in->device_expert + i * k;
            if (memcmp(dev, idx, (size_t)k * sizeof *idx) != 0 &&
                device_ranking_ok(in, p, idx, dev)) {
                memcpy(idx, dev, (size_t)k * sizeof *idx);
                out->adopted++;
            }
        }
        double sum = 0, rel = 0;
        for (int64_t c = 0; c < k; c++) {
            sum += p[idx[c]];
            rel += pm[idx[c]] / p[idx[c]];
        }
        for (int64_t c = 0; c < k; c++) {
            double g = p[idx[c]];
            if (in->renormalize) {
                out->gate[i * k + c] = g / (sum + 1e-9);
                out->gate_mag[i * k + c] = g / (sum + 1e-9) * (2 + pm[idx[c]] / g + rel);
            } else {
                out->gate[i * k + c] = g;
                out->gate_mag[i * k + c] = pm[idx[c]];
            }
        }
    }
}

/* Choice-major claim order: every first choice in token order, then every
 * second choice; a choice is kept while its expert has a free slot. */
static void place(const ref_moe_in *in, ref_moe_out *out, int64_t r)
{
    int64_t t = in->t, k = in->k, e = in->e;
    int64_t *pos = calloc((size_t)(t * k + 1), sizeof *pos);
    int64_t *cnt = calloc((size_t)e, sizeof *cnt);
    if (!pos || !cnt) {
        free(pos);
        free(cnt);
        return;
    }
    out->dropped = 0;
    for (int64_t c = 0; c < k; c++)
        for (int64_t i = 0; i < t; i++) {
            int32_t x = out->expert[i * k + c];
            if (in->capacity < 0 || cnt[x] < in->capacity) {
                pos[i * k + c] = cnt[x]++;
            } else {
                pos[i * k + c] = -1;
                out->dropped++;
            }
        }
    out->offsets[0] = 0;
    for (int64_t j = 0; j < e; j++) {
        out->counts[j] = (int32_t)cnt[j];
        out->offsets[j + 1] = out->offsets[j] + (int32_t)cnt[j];
    }
    for (int64_t q = 0; q < r; q++)
        out->row_token[q] = -1;
    for (int64_t i = 0; i < t; i++)
        for (int64_t c = 0; c < k; c++) {
            int64_t q = pos[i * k + c];
            out->rows[i * k + c] = q < 0 ? -1 : out->offsets[out->expert[i * k + c]] + (int32_t)q;
            if (q >= 0)
                out->row_token[out->rows[i * k + c]] = (int32_t)i;
        }
    free(pos);
    free(cnt);
}

static void losses(const ref_moe_in *in, ref_moe_out *out)
{
    int64_t t = in->t, e = in->e, k = in->k;
    double aux = 0, am = 0, z = 0, zm = 0;
    for (int64_t j = 0; j < e; j++) {
        double first = 0, pmean = 0, pmag = 0;
        for (int64_t i = 0; i < t; i++) {
            first += out->expert[i * k] == j;
            pmean += out->probs[i * e + j];
            pmag += out->prob_mag[i * e + j];
        }
        aux += first * pmean;
        am += first * (pmean + pmag);
    }
    for (int64_t i = 0; i < t; i++) {
        const double *h = out->logits + i * e, *hm = out->logit_mag + i * e;
        double mx = -INFINITY, lm = 0, s = 0;
        for (int64_t j = 0; j < e; j++) {
            mx = h[j] > mx ? h[j] : mx;
            lm = hm[j] > lm ? hm[j] : lm;
        }
        for (int64_t j = 0; j < e; j++)
            s += exp(h[j] - mx);
        double lse = mx + log(s);
        z += lse * lse;
        zm += 2 * (fabs(lse) + 1) * (1 + fabs(mx) + lm);
    }
    /* Sums over T tokens in f32: their error grows with log2 T (pairwise)
     * or T (sequential); log2 is what the backends' reductions give. */
    double grow = 1 + log2((double)t + 1);
    double scale = in->aux_weight * (double)e / (double)(t > 0 ? t * t : 1);
    out->aux = aux * scale;
    out->aux_mag = am * fabs(scale) * grow;
    out->z = t > 0 ? z / (double)t : 0;
    out->z_mag = t > 0 ? zm / (double)t * grow : 0;
}

static double act(ts_moe_activation a, double h)
{
    switch (a) {
    case TS_MOE_RELU:
        return h > 0 ? h : 0;
    case TS_MOE_RELU2:
        return h > 0 ? h * h : 0;
    case TS_MOE_GELU:
        return 0.5 * h * (1 + erf(h / sqrt(2.0)));
    default:
        return h / (1 + exp(-h));
    }
}

/* One token through one expert: o[d] and its magnitude terms. A hidden
 * unit's error scale m is |a| plus the error of h = x . w1 (sum |x w1|)
 * times the activation's slope (<= 1.1 for GELU and SiLU, 2|h| for
 * squared ReLU); SwiGLU adds the gate GEMM's error times |h| and one more
 * rounding of silu(g) (ts_glu holds it in the op's dtype). */
static void expert_ffn(const ref_moe_in *in, int64_t e, const double *x, double *hid, double *hmag,
                       double *o, double *omag)
{
    int64_t d = in->d, ff = in->ff;
    const double *w1 = in->w1 + e * d * ff, *w2 = in->w2 + e * ff * d;
    const double *wg = in->wg ? in->wg + e * d * ff : NULL;
    for (int64_t j = 0; j < ff; j++) {
        double h = 0, hs = 0, g = 0, gs = 0;
        for (int64_t l = 0; l < d; l++) {
            h += x[l] * w1[l * ff + j];
            hs += fabs(x[l] * w1[l * ff + j]);
            if (wg) {
                g += x[l] * wg[l * ff + j];
                gs += fabs(x[l] * wg[l * ff + j]);
            }
        }
        /* h's error: one rounding to the dtype (|h|) plus f32 sums
         * (hs / 16 covers sqrt(d) ulps of sum |x w1| for d <= 256). */
        double he = fabs(h) + hs / 16, ge = fabs(g) + gs / 16;
        if (in->act == TS_MOE_SWIGLU) {
            double sg = g / (1 + exp(-g));
            hid[j] = sg * h;
            hmag[j] = 2 * fabs(hid[j]) + fabs(sg) * he + 1.1 * ge * fabs(h);
        } else {
            hid[j] = act(in->act, h);
            hmag[j] = fabs(hid[j]) + (in->act == TS_MOE_RELU2 ? 2 * fabs(h) : 1.1) * he;
        }
    }
    for (int64_t l = 0; l < d; l++) {
        double s = 0, m = 0;
        for (int64_t j = 0; j < ff; j++) {
            s += hid[j] * w2[j * d + l];
            m += hmag[j] * fabs(w2[j * d + l]);
        }
        o[l] = s;
        omag[l] = m;
    }
}

static void ffn(const ref_moe_in *in, ref_moe_out *out)
{
    int64_t t = in->t, d = in->d, k = in->k;
    double *hid = malloc((size_t)(in->ff + 1) * sizeof *hid);
    double *hmag = malloc((size_t)(in->ff + 1) * sizeof *hmag);
    double *o = malloc((size_t)(d + 1) * sizeof *o), *om = malloc((size_t)(d + 1) * sizeof *om);
    if (hid && hmag && o && om) {
        for (int64_t i = 0; i < t * d; i++)
            out->y[i] = out->y_mag[i] = 0;
        for (int64_t i = 0; i < t; i++)
            for (int64_t c = 0; c < k; c++) {
                if (out->rows[i * k + c] < 0)
                    continue; /* dropped: adds nothing */
                expert_ffn(in, out->expert[i * k + c], in->x + i * d, hid, hmag, o, om);
                /* The gate's error is an f32 one: weighted down to the
                 * dtype's tolerance (gate_weight). */
                double g = out->gate[i * k + c];
                double grel = in->gate_weight * out->gate_mag[i * k + c] / g;
                for (int64_t l = 0; l < d; l++) {
                    out->y[i * d + l] += g * o[l];
                    out->y_mag[i * d + l] += g * (om[l] + grel * fabs(o[l]));
                }
            }
    }
    free(hid);
    free(hmag);
    free(o);
    free(om);
}

void ref_moe_layer(const ref_moe_in *in, ref_moe_out *out)
{
    int64_t r = in->t * in->k;
    if (in->capacity >= 0 && in->capacity * in->e < r)
        r = in->capacity * in->e;
    logits(in, out);
    probs(in, out);
    choose(in, out);
    place(in, out, r);
    losses(in, out);
    if (out->y)
        ffn(in, out);
}
