package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonPrimitive;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Combines LoRA adapters stored as PEFT directories into a new one, as PEFT's {@code
 * add_weighted_adapter} defines the combinations, without a model. With weights w_i, scalings s_i
 * and factors A_i (r_i, k), B_i (d, r_i) per module:
 *
 * <ul>
 *   <li>{@code linear} (equal ranks): {@code A = Σ √(w_i·s_i)·A_i}, {@code B = Σ √(w_i·s_i)·B_i}, so
 *       {@code ΔW = B·A} (PEFT's definition; it mixes the adapters' factors, and equals {@code Σ
 *       w_i·ΔW_i} only for one adapter or factors that do not interact);
 *   <li>{@code cat}: {@code A = [w_1·s_1·A_1; …]}, {@code B = [B_1, …]}, rank {@code Σ r_i}, so
 *       {@code ΔW = Σ w_i·ΔW_i} exactly;
 *   <li>{@code svd}: the best rank-R approximation of {@code Σ w_i·ΔW_i} (Eckart–Young), {@code B =
 *       U_R·Σ_R}, {@code A = V_Rᵀ}, with R given or the largest r_i. It is computed from a thin QR of
 *       the stacked factors and the SVD of their (Σ r_i)-square core, never forming the (d, k) ΔW.
 * </ul>
 *
 * <p>With the base weights, {@code svd} combines adapters of any method: each ΔW_i is computed by
 * its method from the file and W0 ({@link DeltaWeights}), and the rank-R approximation of the dense
 * Σ w_i·ΔW_i becomes a LoRA adapter (DoRA's update depends on W0, so the result holds for that base).
 * {@code linear} and {@code cat} need LoRA factors.
 *
 * <p>The result has {@code r = lora_alpha =} the new rank (scaling 1, as PEFT writes it) and no
 * rsLoRA; a module missing from some adapters combines the others. Everything is checked before the
 * output directory is written, which appears complete or not at all.
 */
public final class AdapterCombination {

    /** How the adapters are combined. */
    public enum Type {
        /** Weighted sums of the factors; equal ranks. */
        LINEAR,
        /** The factors side by side; ranks add up. */
        CAT,
        /** A truncated SVD of the weighted sum of the updates. */
        SVD;

        /**
         * The type of a name as PEFT spells it.
         *
         * @param name {@code linear}, {@code cat} or {@code svd}
         * @return the type
         * @throws PeftException naming the value and the accepted ones
         */
        public static Type of(String name) {
            for (Type type : values()) {
                if (type.name().toLowerCase(Locale.ROOT).equals(name)) {
                    return type;
                }
            }
            throw new PeftException("Unknown combination type '" + name + "': expected linear, cat or svd");
        }
    }

    /**
     * One adapter and its weight.
     *
     * @param directory the PEFT adapter directory
     * @param weight w_i
     */
    public record Source(Path directory, double weight) {
        /**
         * Checks the weight.
         *
         * @param directory the PEFT adapter directory
         * @param weight w_i
         * @throws PeftException when the weight is NaN or infinite
         */
        public Source {
            if (!Double.isFinite(weight)) {
                throw new PeftException(
                        "The weight of adapter " + directory + " is " + weight + ": weights must be finite numbers");
            }
        }
    }

    /**
     * What was written.
     *
     * @param modules the modules of the new adapter
     * @param rank its rank (the largest, with rank_pattern for the others)
     */
    public record Summary(int modules, int rank) {}

    private static final String LORA = "lora";

    private AdapterCombination() {}

    /**
     * Combines adapters and writes the result as a PEFT directory.
     *
     * @param sources the adapters and their weights, at least one
     * @param type the combination
     * @param svdRank the rank for {@code svd}, or {@code null} for the largest rank of the sources
     * @param base the base weights (a safetensors file or a model directory with {@code
     *     model.safetensors}) for {@code svd} of adapters other than plain LoRA, or {@code null}
     * @param out the directory to write; replaced when it exists
     * @param plugins the registry the files' methods are looked up in
     * @param manager computes the combination
     * @return what was written
     * @throws PeftException when a source is inconsistent or, without a base or for {@code linear}
     *     and {@code cat}, not plain LoRA (naming it), ranks differ for {@code linear},
     *     {@code w·s} is negative for {@code linear}, the sources disagree on {@code fan_in_fan_out}
     *     or a module's shapes, or the SVD rank is not positive
     */
    public static Summary combine(
            List<Source> sources, Type type, Integer svdRank, Path base, Path out, Plugins plugins, NDManager manager) {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("Give at least one adapter to combine");
        }
        if (svdRank != null && svdRank <= 0) {
            throw new PeftException("The SVD rank (--rank) must be positive, got " + svdRank);
        }
        List<AdapterDirectory> files = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            boolean throughBase = base != null && type == Type.SVD;
            for (Source source : sources) {
                files.add(open(source.directory(), plugins, throughBase, type));
            }
            Set<String> modules = new LinkedHashSet<>();
            files.forEach(file -> modules.addAll(file.modules().keySet()));
            requireSameLayout(files);
            int largest = files.stream()
                    .flatMap(file -> file.modules().keySet().stream().map(file::moduleConfig))
                    .mapToInt(AdapterConfig::rank)
                    .max()
                    .orElseThrow();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            Map<String, Integer> ranks = new LinkedHashMap<>();
            if (throughBase) {
                denseSvd(files, sources, base, svdRank == null ? largest : svdRank, plugins, scope)
                        .forEach((module, factors) -> {
                            String prefix = AdapterDirectory.TENSOR_PREFIX + module + ".";
                            tensors.put(prefix + "lora_A.weight", factors.get(0));
                            tensors.put(prefix + "lora_B.weight", factors.get(1));
                            ranks.put(
                                    module,
                                    Math.toIntExact(factors.get(0).getShape().get(0)));
                        });
            }
            for (String module : throughBase ? Set.<String>of() : modules) {
                List<Factors> factors = new ArrayList<>();
                for (int i = 0; i < files.size(); i++) {
                    if (files.get(i).modules().containsKey(module)) {
                        factors.add(Factors.read(files.get(i), sources.get(i), module, scope));
                    }
                }
                requireSameShape(module, factors);
                NDList combined = switch (type) {
                    case LINEAR -> linear(module, factors);
                    case CAT -> cat(factors);
                    case SVD -> LowRankSvd.truncated(module, factors, svdRank == null ? largest : svdRank);
                };
                boolean embedding = factors.get(0).embedding();
                String prefix = AdapterDirectory.TENSOR_PREFIX + module + ".";
                tensors.put(prefix + (embedding ? "lora_embedding_A" : "lora_A.weight"), combined.get(0));
                tensors.put(prefix + (embedding ? "lora_embedding_B" : "lora_B.weight"), combined.get(1));
                ranks.put(module, Math.toIntExact(combined.get(0).getShape().get(0)));
            }
            int rank = ranks.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
            write(files.get(0).config(), modules, ranks, rank, tensors, out);
            return new Summary(modules.size(), rank);
        } finally {
            files.forEach(AdapterDirectory::close);
        }
    }

    private static AdapterDirectory open(Path directory, Plugins plugins, boolean throughBase, Type type) {
        AdapterDirectory file = AdapterDirectory.open(directory, plugins);
        List<String> problems = new ArrayList<>(file.problems());
        problems.addAll(file.nonFiniteTensors());
        String method = file.method().factory().name();
        boolean plainLora =
                LORA.equals(method) && file.method().config().options().isEmpty();
        if (!problems.isEmpty() || (!plainLora && !throughBase)) {
            file.close();
            if (!problems.isEmpty()) {
                throw new PeftException("Adapter " + directory + " is inconsistent, so it is not combined: "
                        + String.join("; ", problems));
            }
            throw new PeftException("Adapter " + directory + " is " + method
                    + (LORA.equals(method) ? " with " + file.method().config().options() : "")
                    + (type == Type.SVD
                            ? ": its update comes from the method and the base weights; pass the base model (--base)"
                            : ": linear and cat combine the factors of plain LoRA adapters; use svd with the base"
                                    + " model (--base)"));
        }
        return file;
    }

    /** The rank-R LoRA factors (A, B) of Σ w_i·ΔW_i per module, each ΔW_i computed with the base weights. */
    private static Map<String, NDList> denseSvd(
            List<AdapterDirectory> files, List<Source> sources, Path base, int rank, Plugins plugins, NDManager scope) {
        Map<String, DMatrixRMaj> sums = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            double weight = sources.get(i).weight();
            DeltaWeights.of(files.get(i), base, plugins, scope).forEach((module, delta) -> {
                DMatrixRMaj weighted = delta.delta().copy();
                CommonOps_DDRM.scale(weight, weighted);
                DMatrixRMaj sum = sums.get(module);
                if (sum != null && (sum.numRows != weighted.numRows || sum.numCols != weighted.numCols)) {
                    throw new PeftException("Module " + module + " has different shapes in the adapters");
                }
                sums.put(module, sum == null ? weighted : CommonOps_DDRM.add(sum, weighted, null));
            });
        }
        Map<String, NDList> factors = new LinkedHashMap<>();
        sums.forEach((module, sum) -> {
            LowRankSvd.requireRankFits(module, rank, sum.numRows, sum.numCols);
            factors.put(module, LowRankSvd.factors(LowRankSvd.of(sum), rank, scope));
        });
        return factors;
    }

    private static void requireSameLayout(List<AdapterDirectory> files) {
        boolean fanInFanOut = files.get(0).config().fanInFanOut();
        for (AdapterDirectory file : files) {
            if (file.config().fanInFanOut() != fanInFanOut) {
                throw new PeftException("Adapters " + files.get(0).path() + " and " + file.path()
                        + " disagree on fan_in_fan_out: they were trained on differently stored models");
            }
        }
    }

    private static void requireSameShape(String module, List<Factors> factors) {
        for (Factors f : factors) {
            if (!f.shape().equals(factors.get(0).shape())
                    || f.embedding() != factors.get(0).embedding()) {
                throw new PeftException(
                        "Module " + module + " is " + factors.get(0).shape() + " in "
                                + factors.get(0).source() + " but " + f.shape() + " in " + f.source()
                                + ": the adapters are for different models");
            }
        }
    }

    private static NDList linear(String module, List<Factors> factors) {
        int rank = factors.get(0).rank();
        NDArray a = null;
        NDArray b = null;
        for (Factors f : factors) {
            if (f.rank() != rank) {
                throw new PeftException("linear needs adapters of equal rank; module " + module + " has r = " + rank
                        + " in " + factors.get(0).source() + " and r = " + f.rank() + " in " + f.source()
                        + ": use cat or svd");
            }
            double product = f.weight() * f.scaling();
            if (product < 0) {
                throw new PeftException("linear takes √(w·s) of each adapter, but " + f.source() + " has w·s = "
                        + product + ": use cat or svd for negative weights");
            }
            NDArray factor = f.a().getManager().create((float) Math.sqrt(product));
            a = a == null ? f.a().mul(factor) : a.add(f.a().mul(factor));
            b = b == null ? f.b().mul(factor) : b.add(f.b().mul(factor));
        }
        return new NDList(a, b);
    }

    private static NDList cat(List<Factors> factors) {
        NDList a = new NDList();
        NDList b = new NDList();
        for (Factors f : factors) {
            a.add(f.a().mul(f.a().getManager().create((float) (f.weight() * f.scaling()))));
            b.add(f.b());
        }
        return new NDList(NDArrays.concat(a, 0), NDArrays.concat(b, 1));
    }

    private static void write(
            PeftAdapterConfig first,
            Set<String> modules,
            Map<String, Integer> ranks,
            int rank,
            Map<String, NDArray> tensors,
            Path out) {
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        ranks.forEach((module, r) -> {
            if (r != rank) {
                rankPattern.put(PeftAdapters.escape(module), r);
                alphaPattern.put(PeftAdapters.escape(module), (double) r);
            }
        });
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(rank)
                .setTargetModules(List.copyOf(modules))
                .optLoraAlpha(rank)
                .optRankPattern(rankPattern)
                .optAlphaPattern(alphaPattern)
                .optFanInFanOut(first.fanInFanOut())
                .optBaseModelNameOrPath(first.baseModelNameOrPath())
                .optTaskType(first.taskType())
                .optOtherKeys(Map.of("use_dora", new JsonPrimitive(false)))
                .build();
        try (StagedDirectory staged = StagedDirectory.start(out)) {
            SafetensorsWriter.save(
                    staged.path().resolve(AdapterDirectory.WEIGHTS_FILE), tensors, Map.of("format", "pt"));
            PeftConfigFile.write(config, staged.path().resolve(PeftConfigFile.FILE_NAME));
            staged.commit();
        }
    }

    /**
     * One source's factors of one module, in float32.
     *
     * @param source the adapter directory
     * @param weight w_i
     * @param scaling s_i of the module
     * @param a A (r, k)
     * @param b B (d, r)
     * @param embedding whether the module is an embedding
     */
    record Factors(Path source, double weight, double scaling, NDArray a, NDArray b, boolean embedding) {

        static Factors read(AdapterDirectory file, Source source, String module, NDManager manager) {
            AdapterModule stored = file.modules().get(module);
            boolean embedding = file.method().factory().fileFormat().isEmbedding(file.stored(stored));
            NDArray a = tensor(file, stored, "lora_A.weight", manager);
            NDArray b = tensor(file, stored, "lora_B.weight", manager);
            return new Factors(
                    file.path(), source.weight(), file.moduleConfig(module).scaling(), a, b, embedding);
        }

        private static NDArray tensor(AdapterDirectory file, AdapterModule module, String name, NDManager manager) {
            String tensor = file.tensor(module, name)
                    .orElseThrow(() -> new PeftException(
                            file.weights().path() + " has no tensor for " + name + " of module " + module.path()));
            return file.weights().read(tensor, manager).toType(DataType.FLOAT32, false);
        }

        int rank() {
            return Math.toIntExact(a.getShape().get(0));
        }

        Shape shape() {
            return new Shape(b.getShape().get(0), a.getShape().get(1));
        }
    }
}
