package dev.peft4j.cli.memorize;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar for a run on a terminal, redrawn in place; elsewhere (a log, CI) a line
 * every tenth of the run.
 */
final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final int total;
    private final boolean interactive;
    private int lastTenth = -1;

    /**
     * Starts a bar.
     *
     * @param out where to draw
     * @param label the run's label
     * @param total the number of steps
     * @param interactive whether the output is a terminal that can redraw a line
     */
    ProgressBar(PrintStream out, String label, int total, boolean interactive) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.interactive = interactive;
    }

    /**
     * Shows progress.
     *
     * @param step steps done
     * @param loss the latest training loss
     * @param charAccuracy the latest measured character accuracy
     */
    void update(int step, double loss, double charAccuracy) {
        int tenth = step * 10 / total;
        if (!interactive && tenth == lastTenth) {
            return;
        }
        lastTenth = tenth;
        int filled = step * WIDTH / total;
        String line = String.format(
                Locale.ROOT,
                "%-26s [%s%s] %3d%% step %d/%d loss %.3f char acc %.1f%%",
                label,
                "#".repeat(filled),
                " ".repeat(WIDTH - filled),
                step * 100 / total,
                step,
                total,
                loss,
                100 * charAccuracy);
        if (interactive) {
            out.print("\r" + line);
            if (step == total) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }
}
