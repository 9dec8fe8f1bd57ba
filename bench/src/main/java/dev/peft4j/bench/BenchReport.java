package dev.peft4j.bench;

import com.google.gson.GsonBuilder;
import java.util.List;
import java.util.Locale;

/**
 * The quick benchmark's results, serialised as {@code bench-report.json}. Its fields {@code
 * engine}, {@code device} and {@code ratios[]} with {@code name}, {@code value}, {@code target}
 * and {@code anchor} are a contract that tools read: one entry per ratio of the targets table
 * (target set), then informational entries (target {@code null}).
 *
 * @param engine the engine's name
 * @param device {@code cpu} or {@code gpu:N}
 * @param features d = k of the timed layer
 * @param rank r
 * @param tokens the rows of the batch
 * @param rounds the most timed rounds of each pair (see each ratio's timing for the rounds run)
 * @param seconds how long the whole benchmark took
 * @param ratios the targets and informational values
 * @param operations the operation counts of every method
 * @param soak the memory soak
 */
public record BenchReport(
        String engine,
        String device,
        int features,
        int rank,
        int tokens,
        int rounds,
        double seconds,
        List<Ratio> ratios,
        List<OperationCount> operations,
        SoakResult soak) {

    private static final String OPS_PREFIX = "ops/";

    /**
     * Freezes the lists.
     *
     * @param engine the engine's name
     * @param device {@code cpu} or {@code gpu:N}
     * @param features d = k of the timed layer
     * @param rank r
     * @param tokens the rows of the batch
     * @param rounds the most timed rounds of each pair (see each ratio's timing for the rounds run)
     * @param seconds how long the whole benchmark took
     * @param ratios the targets and informational values
     * @param operations the operation counts of every method
     * @param soak the memory soak
     */
    public BenchReport {
        ratios = List.copyOf(ratios);
        operations = List.copyOf(operations);
    }

    /**
     * The report as JSON.
     *
     * @return pretty-printed JSON with nulls kept
     */
    public String toJson() {
        return new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(this) + "\n";
    }

    /**
     * The targets and the informational values other than operation counts, as a Markdown table.
     *
     * @return the table
     */
    public String table() {
        StringBuilder table = new StringBuilder("| ratio | measured | target | anchor | |\n|---|---:|---:|---|---|\n");
        for (Ratio ratio : ratios) {
            if (ratio.name().startsWith(OPS_PREFIX)) {
                continue;
            }
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s |%n",
                    ratio.name(),
                    format(ratio.value(), ratio.unit()),
                    ratio.target() == null ? "—" : "≤ " + format(ratio.target(), ratio.unit()),
                    ratio.anchor(),
                    verdict(ratio)));
        }
        return table.toString();
    }

    /**
     * The operation counts and train-step memory of every method, as a Markdown table.
     *
     * @return the table
     */
    public String operationTable() {
        StringBuilder table = new StringBuilder(
                "| method | arrays per eval forward | arrays per train step | train step peak MiB |\n|---|---:|---:|---:|\n");
        for (OperationCount count : operations) {
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %s | %s |%n",
                    count.method(),
                    count.evalForward(),
                    count.trainStep() == null ? "—" : count.trainStep().toString(),
                    count.trainStepPeakBytes() == null
                            ? "—"
                            : String.format(Locale.ROOT, "%.1f", count.trainStepPeakBytes() / (1024.0 * 1024.0))));
        }
        return table.toString();
    }

    /**
     * The pairs timed side by side, as a Markdown table: medians, fastest rounds and both ratios.
     *
     * @return the table
     */
    public String timingTable() {
        StringBuilder table = new StringBuilder(
                "| ratio | numerator ms (median / fastest) | denominator ms (median / fastest) | median of round ratios "
                        + "| ratio of fastest rounds | page faults per call (numerator / denominator) |\n"
                        + "|---|---:|---:|---:|---:|---:|\n");
        for (Ratio ratio : ratios) {
            Timing timing = ratio.timing();
            if (timing != null) {
                table.append(String.format(
                        Locale.ROOT,
                        "| %s | %.3f / %.3f | %.3f / %.3f | %.3f | %.3f | %s / %s |%n",
                        ratio.name(),
                        timing.numeratorMs(),
                        timing.numeratorMinMs(),
                        timing.denominatorMs(),
                        timing.denominatorMinMs(),
                        timing.ratio(),
                        timing.minRatio(),
                        count(timing.numeratorPageFaults()),
                        count(timing.denominatorPageFaults())));
            }
        }
        return table.toString();
    }

    /**
     * The whole report in Markdown: settings, both tables, the soak and the definitions.
     *
     * @return the report
     */
    public String markdown() {
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "# peft4j bench%n%nEngine %s on %s; one linear layer d = k = %d with bias, fp32, r = %d, %d tokens; "
                        + "each pair timed over up to %d rounds in alternating order, medians; %.0f s in all.%n%n",
                engine,
                device,
                features,
                rank,
                tokens,
                rounds,
                seconds));
        md.append(table()).append('\n');
        md.append("## Timed pairs\n\n").append(timingTable()).append('\n');
        md.append("## Native operations (NDArrays created) and train-step memory\n\n")
                .append(operationTable())
                .append('\n');
        if (soak.growth() != null) {
            md.append(String.format(
                    Locale.ROOT,
                    "## Memory soak%n%n%,d train steps (%s), methods in turn: VmRSS %,d KiB after %,d warm-up steps, "
                            + "%,d KiB at the end: growth %.2f%% (limit %.0f%%).%n%n",
                    soak.steps(),
                    soak.size(),
                    soak.warmupRssKb(),
                    soak.warmupSteps(),
                    soak.finalRssKb(),
                    100 * soak.growth(),
                    100 * SoakResult.LIMIT));
        }
        md.append("## Definitions\n\n");
        for (Ratio ratio : ratios) {
            if (!ratio.name().startsWith(OPS_PREFIX)) {
                md.append("- `")
                        .append(ratio.name())
                        .append("`: ")
                        .append(ratio.definition())
                        .append(".\n");
            }
        }
        md.append("- `ops/<method>_eval_forward`, `ops/<method>_train_step`: the operation counts above; every "
                + "NDArray created under the model's manager, temporaries included.\n");
        return md.toString();
    }

    private static String verdict(Ratio ratio) {
        String busy = ratio.timing() != null && ratio.timing().busy() ? " (busy machine)" : "";
        if (ratio.meetsTarget() == null) {
            return busy.trim();
        }
        return (ratio.meetsTarget() ? "met" : "**missed**") + busy;
    }

    private static String count(Double value) {
        return value == null ? "—" : String.format(Locale.ROOT, "%.0f", value);
    }

    private static String format(double value, String unit) {
        return switch (unit) {
            case Ratio.MICROS -> String.format(Locale.ROOT, "%.2f µs", value);
            case Ratio.ARRAYS -> String.format(Locale.ROOT, "%.0f", value);
            case Ratio.FRACTION -> String.format(Locale.ROOT, "%.2f%%", 100 * value);
            default -> String.format(Locale.ROOT, "%.3f", value);
        };
    }
}
