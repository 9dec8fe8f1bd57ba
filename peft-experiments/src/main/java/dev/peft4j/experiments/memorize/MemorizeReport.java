package dev.peft4j.experiments.memorize;

import com.google.gson.GsonBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The experiment's results; serialised as {@code report.json}, whose field names are a contract
 * that tools read.
 *
 * @param task always {@code memorize}
 * @param pairs N
 * @param seed the seed
 * @param engine the engine's name
 * @param device the device
 * @param model the pretrained model's directory, or {@code null} for the synthetic network
 * @param hidden the model's hidden width
 * @param stepsPerRun the training steps of each run
 * @param batch the pairs per step
 * @param results one entry per run
 */
public record MemorizeReport(
        String task,
        int pairs,
        long seed,
        String engine,
        String device,
        String model,
        int hidden,
        int stepsPerRun,
        int batch,
        List<RunResult> results) {

    private static final double[] COLUMNS = {0.3, 0.5, 0.7, 0.9, 1.0};

    /**
     * The report as JSON.
     *
     * @return pretty-printed JSON with nulls kept
     */
    public String toJson() {
        return new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(this) + "\n";
    }

    /**
     * The results as a Markdown table.
     *
     * @return the table
     */
    public String table() {
        StringBuilder table = new StringBuilder();
        table.append(
                "| method | operator | rank | trainable params | char acc @30% | @50% | @70% | @90% | @100% | pair acc | seconds |\n");
        table.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RunResult result : results) {
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %,d |",
                    result.method(),
                    result.operator() == null ? "—" : result.operator(),
                    RunSpec.FFT.equals(result.method()) ? "—" : Integer.toString(result.rank()),
                    result.trainableParams()));
            for (double fraction : COLUMNS) {
                table.append(String.format(Locale.ROOT, " %.1f |", 100 * result.charAccuracyAt(fraction)));
            }
            table.append(
                    String.format(Locale.ROOT, " %.1f | %.1f |\n", 100 * result.finalPairAccuracy(), result.seconds()));
        }
        for (RunResult result : results) {
            result.divergence()
                    .ifPresent(note -> table.append("\n").append(note).append(".\n"));
        }
        return table.toString();
    }

    /**
     * What was trained, in words.
     *
     * @return for example {@code hidden width 512} or {@code model stories260k (hidden width 64)}
     */
    String modelDescription() {
        return model == null ? "hidden width " + hidden : "model " + modelName() + " (hidden width " + hidden + ")";
    }

    /**
     * The pretrained model's name: its directory's.
     *
     * @return for example {@code stories260k}, or {@code null} for the synthetic network
     */
    String modelName() {
        return model == null ? null : String.valueOf(Path.of(model).getFileName());
    }

    /**
     * The Markdown report: settings, the table and the chart.
     *
     * @param chartFile the chart's file name, relative to the report
     * @return the report
     */
    public String markdown(String chartFile) {
        return String.format(
                        Locale.ROOT,
                        "# Memorizing %,d random UUID pairs%n%nEngine %s on %s; %s; %d steps of %d pairs; seed %d. "
                                + "Accuracies are percentages on the training pairs (memorization is the point).%n%n",
                        pairs,
                        engine,
                        device,
                        modelDescription(),
                        stepsPerRun,
                        Math.min(batch, pairs),
                        seed)
                + table()
                + "\n![character accuracy against step](" + chartFile + ")\n";
    }
}
