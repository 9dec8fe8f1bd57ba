package dev.peft4j.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar for a run on a terminal, redrawn in place; elsewhere (a log, CI) a line
 * every tenth of the run.
 */
public final class ProgressBar {

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
    public ProgressBar(PrintStream out, String label, int total, boolean interactive) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.interactive = interactive;
    }

    /**
     * Shows progress.
     *
     * @param step steps done
     * @param details what to show after the step count, for example the latest loss
     */
    public void update(int step, String details) {
        int tenth = step * 10 / total;
        if (!interactive && tenth == lastTenth) {
            return;
        }
        lastTenth = tenth;
        int filled = step * WIDTH / total;
        String line = String.format(
                Locale.ROOT,
                "%-26s [%s%s] %3d%% step %d/%d %s",
                label,
                "#".repeat(filled),
                " ".repeat(WIDTH - filled),
                step * 100 / total,
                step,
                total,
                details);
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
