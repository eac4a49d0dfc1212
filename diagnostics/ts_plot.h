/* ts_plot — draws a run of samples with gnuplot: CPU per thread over time
 * (the busiest threads each, the rest summed), thread count and RSS. */
#ifndef TS_PLOT_H
#define TS_PLOT_H

#include "ts_track.h"

/* Threads drawn one by one; the others make one "others" line. */
#define TS_PLOT_TOP 8

/* Writes the chart to `png`.  0, or -1 with one line on stderr. */
int ts_plot(const struct ts_track *tr, const char *png);

#endif
