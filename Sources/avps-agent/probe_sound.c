/* sound.pcms: what ALSA made of a virtio sound device. The card is found in
 * sysfs (virtioN/sound/cardC), its PCM devices and stream directions in
 * /proc/asound/pcm, the card's names in /proc/asound/cards. */
#include "probe.h"
#include "sysfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ASOUND "/proc/asound"

/* Totals over the "CC-DD: id : name : playback N : capture M" lines of one card. */
typedef struct {
    int devices, playback_devices, capture_devices, playback_substreams, capture_substreams;
} pcm_totals_t;

/* Substream count after "<word> " in a pcm line, 0 when the direction is absent. */
static int substreams(const char *line, const char *word)
{
    const char *p = strstr(line, word);
    return p ? atoi(p + strlen(word)) : 0;
}

static bool read_pcms(int card, pcm_totals_t *t)
{
    char line[512];
    FILE *f = fopen(ASOUND "/pcm", "re");
    if (!f)
        return false;
    while (fgets(line, sizeof line, f)) {
        int c, d;
        if (sscanf(line, "%d-%d:", &c, &d) != 2 || c != card)
            continue;
        int play = substreams(line, ": playback "), cap = substreams(line, ": capture ");
        t->devices++;
        t->playback_devices += play > 0;
        t->capture_devices += cap > 0;
        t->playback_substreams += play;
        t->capture_substreams += cap;
    }
    fclose(f);
    return true;
}

/* Number of cards in /proc/asound/cards ("NN [id ]: driver - name" lines) and the
 * long name of `card` (the indented line after its entry). */
static int read_cards(int card, char *longname, size_t cap)
{
    char line[512];
    int cards = 0, current = -1;
    FILE *f = fopen(ASOUND "/cards", "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        int n;
        if (sscanf(line, " %d [", &n) == 1) {
            cards++;
            current = n;
        } else if (current == card && !longname[0]) {
            const char *s = line + strspn(line, " ");
            snprintf(longname, cap, "%.*s", (int)strcspn(s, "\n"), s);
        }
    }
    fclose(f);
    return cards;
}

probe_status_t probe_sound_pcms(probe_env_t *env)
{
    char cardname[64], carddir[4400], text[256], longname[256] = "", node[64];
    if (!probe_child(env->virtio_dir, "sound", "card", cardname, sizeof cardname))
        return probe_unavailable(env, "%s has no ALSA card (driver not bound? virtio_snd needs Linux 5.13+)",
                                 env->device);
    int card = atoi(cardname + 4);
    snprintf(carddir, sizeof carddir, "%s/sound/%s", env->virtio_dir, cardname);
    fact_int(env, "card", card);
    if (sysfs_read(carddir, "id", text, sizeof text))
        fact_string(env, "card_id", text);
    int cards = read_cards(card, longname, sizeof longname);
    if (cards < 0)
        return probe_unavailable(env, "cannot read " ASOUND "/cards (no procfs or ALSA core?)");
    fact_int(env, "cards", cards);
    if (longname[0])
        fact_string(env, "card_name", longname);
    pcm_totals_t t = {0};
    if (!read_pcms(card, &t)) /* snd-pcm creates it; virtio_snd depends on snd-pcm */
        return probe_unavailable(env, "cannot read " ASOUND "/pcm (ALSA PCM core not loaded?)");
    fact_int(env, "pcm_devices", t.devices);
    fact_int(env, "playback_devices", t.playback_devices);
    fact_int(env, "capture_devices", t.capture_devices);
    fact_int(env, "playback_substreams", t.playback_substreams);
    fact_int(env, "capture_substreams", t.capture_substreams);
    jw_key(env->facts, "directions");
    jw_begin_array(env->facts);
    if (t.playback_devices) jw_string(env->facts, "playback");
    if (t.capture_devices) jw_string(env->facts, "capture");
    jw_end_array(env->facts);
    snprintf(node, sizeof node, "/dev/snd/controlC%d", card);
    int fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    fact_bool(env, "control_open", fd >= 0);
    if (fd >= 0)
        close(fd);
    return PROBE_OK;
}
