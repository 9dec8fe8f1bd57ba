package dev.peft4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.AdapterAnalysis;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code peft4j analyze}: the spectrum, effective rank and amplification of each module's ΔW ({@link AdapterAnalysis}). */
@Command(
        name = "analyze",
        mixinStandardHelpOptions = true,
        description = "Look inside adapters through ΔW, for any method: per module the singular values, the effective"
                + " rank, ‖ΔW‖_F and (with --base) the amplification factor (LoRA paper §7.3); for two adapters the"
                + " subspace similarity φ of their top directions (§7.2). Prints a table and writes analysis.json,"
                + " spectra PNGs and the φ grid.")
final class AnalyzeCommand implements Callable<Integer> {

    private static final String JSON = "analysis.json";
    private static final String SIMILARITY = "similarity.png";

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--adapter",
            required = true,
            paramLabel = "DIR",
            description = "An adapter directory; give two to compare them.")
    private List<Path> adapters = new ArrayList<>();

    @Option(
            names = "--base",
            paramLabel = "BASE",
            description = "The base weights (a safetensors file or a model directory with model.safetensors): needed"
                    + " for the amplification factor and for every method but plain LoRA.")
    private Path base;

    @Option(
            names = "--threshold",
            defaultValue = "0.01",
            paramLabel = "TAU",
            description = "The threshold rank counts σ_i > TAU·σ_1 (default: 0.01).")
    private double threshold;

    @Option(
            names = "--top",
            paramLabel = "R",
            description = "The top singular directions used for the amplification factor and φ (default: the"
                    + " adapter's rank r).")
    private Integer top;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description =
                    "Where to write analysis.json and the PNGs (replaced as a whole when it holds an earlier run).")
    private Path out;

    @Mixin
    private EngineOptions engineOptions;

    @Override
    public Integer call() throws IOException {
        if (adapters.size() > 2) {
            throw new PeftException("--adapter is given " + adapters.size() + " times: analyze takes one adapter, or"
                    + " two to compare");
        }
        CommandPaths paths = parent.paths();
        adapters.forEach(adapter -> paths.readsDirectory("--adapter", adapter));
        if (base != null) {
            paths.readsFileOrDirectory("--base", base);
        }
        Set<String> outputs = new java.util.HashSet<>(Set.of(JSON, SIMILARITY));
        for (int i = 1; i <= adapters.size(); i++) {
            outputs.add(spectraFile(i));
        }
        paths.replacesDirectory("--out", out, outputs).check();
        Backend backend = engineOptions.backend(parent.plugins());
        List<AdapterAnalysis.Result> results = new ArrayList<>();
        try (NDManager manager = backend.newManager()) {
            for (Path adapter : adapters) {
                results.add(AdapterAnalysis.analyze(adapter, base, threshold, top, parent.plugins(), manager));
            }
        }
        Map<String, double[][]> similarity = results.size() == 2 ? similarity(results) : Map.of();
        PrintWriter stdout = spec.commandLine().getOut();
        for (AdapterAnalysis.Result result : results) {
            stdout.print(table(result));
        }
        double[][] mean = similarity.isEmpty() ? null : mean(similarity.values());
        if (mean != null) {
            stdout.printf(
                    Locale.ROOT,
                    "φ(r, r) averaged over %d modules: %.3f (1 = same subspace, ~r/k = unrelated)%n",
                    similarity.size(),
                    mean[mean.length - 1][Math.min(mean.length, mean[0].length) - 1]);
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve(JSON), json(results, similarity, mean), StandardCharsets.UTF_8);
        for (int i = 0; i < results.size(); i++) {
            Files.write(out.resolve(spectraFile(i + 1)), AnalysisCharts.spectra(results.get(i)));
        }
        if (mean != null) {
            Files.write(
                    out.resolve(SIMILARITY),
                    AnalysisCharts.similarity(
                            mean,
                            adapters.get(0).getFileName().toString(),
                            adapters.get(1).getFileName().toString()));
        }
        stdout.println("Wrote " + out.resolve(JSON) + " and the PNGs");
        stdout.flush();
        return 0;
    }

    private static String spectraFile(int index) {
        return "spectra-" + index + ".png";
    }

    private static String table(AdapterAnalysis.Result result) {
        TextTable table = new TextTable(
                "module",
                ">σ_1",
                ">rank(σ>" + result.threshold() + "σ_1)",
                ">entropy rank",
                ">‖ΔW‖_F",
                ">amplification");
        for (AdapterAnalysis.Module module : result.modules()) {
            table.row(
                    module.path(),
                    String.format(Locale.ROOT, "%.4g", module.singularValues()[0]),
                    module.thresholdRank(),
                    String.format(Locale.ROOT, "%.2f", module.entropyRank()),
                    String.format(Locale.ROOT, "%.4g", module.frobeniusNorm()),
                    module.amplification() == null ? "-" : String.format(Locale.ROOT, "%.2f", module.amplification()));
        }
        return result.adapter() + " (" + result.method() + ", top r = " + result.top() + ")\n" + table.format("  ");
    }

    /** φ per module the two adapters share, in the first adapter's order. */
    private static Map<String, double[][]> similarity(List<AdapterAnalysis.Result> results) {
        Map<String, AdapterAnalysis.Module> second = new LinkedHashMap<>();
        results.get(1).modules().forEach(module -> second.put(module.path(), module));
        Map<String, double[][]> phi = new LinkedHashMap<>();
        for (AdapterAnalysis.Module module : results.get(0).modules()) {
            if (second.containsKey(module.path())) {
                phi.put(module.path(), AdapterAnalysis.subspaceSimilarity(module, second.get(module.path())));
            }
        }
        if (phi.isEmpty()) {
            throw new PeftException("The two adapters share no module, so there is no subspace to compare");
        }
        return phi;
    }

    private static double[][] mean(java.util.Collection<double[][]> grids) {
        int rows = grids.stream().mapToInt(grid -> grid.length).min().orElseThrow();
        int cols = grids.stream().mapToInt(grid -> grid[0].length).min().orElseThrow();
        double[][] mean = new double[rows][cols];
        for (double[][] grid : grids) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    mean[i][j] += grid[i][j] / grids.size();
                }
            }
        }
        return mean;
    }

    private static String json(
            List<AdapterAnalysis.Result> results, Map<String, double[][]> similarity, double[][] mean) {
        JsonObject root = new JsonObject();
        JsonArray adapterArray = new JsonArray();
        for (AdapterAnalysis.Result result : results) {
            JsonObject adapter = new JsonObject();
            adapter.addProperty("adapter", result.adapter().toString());
            adapter.addProperty("method", result.method());
            adapter.addProperty("threshold", result.threshold());
            adapter.addProperty("top", result.top());
            JsonArray modules = new JsonArray();
            for (AdapterAnalysis.Module module : result.modules()) {
                JsonObject entry = new JsonObject();
                entry.addProperty("module", module.path());
                JsonArray sigma = new JsonArray();
                for (double s : module.singularValues()) {
                    sigma.add(s);
                }
                entry.add("singularValues", sigma);
                entry.addProperty("thresholdRank", module.thresholdRank());
                entry.addProperty("entropyRank", module.entropyRank());
                entry.addProperty("frobeniusNorm", module.frobeniusNorm());
                entry.addProperty("amplification", module.amplification());
                modules.add(entry);
            }
            adapter.add("modules", modules);
            adapterArray.add(adapter);
        }
        root.add("adapters", adapterArray);
        if (mean != null) {
            JsonObject phi = new JsonObject();
            similarity.forEach((module, grid) -> phi.add(module, grid(grid)));
            root.add("subspaceSimilarity", phi);
            root.add("meanSubspaceSimilarity", grid(mean));
        }
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(root);
    }

    private static JsonArray grid(double[][] values) {
        JsonArray rows = new JsonArray();
        for (double[] row : values) {
            JsonArray cells = new JsonArray();
            for (double value : row) {
                cells.add(value);
            }
            rows.add(cells);
        }
        return rows;
    }
}
