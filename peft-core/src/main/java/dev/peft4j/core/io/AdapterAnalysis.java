package dev.peft4j.core.io;

import ai.djl.ndarray.NDManager;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;

/**
 * What an adapter's update ΔW looks like, per adapted module, with the analyses of the LoRA paper
 * (Hu et al. 2021, §7) and the MoRA paper (Jiang et al. 2024, §3): the singular values of ΔW, its
 * effective rank, ‖ΔW‖_F and, with the base weights, the amplification factor. Any method is
 * analysed through ΔW ({@link dev.peft4j.spi.Adapter#deltaWeight}); plain LoRA needs no base weights (ΔW = s·B·A
 * is read from its factors), every other method does (DoRA's ΔW depends on W0, and a MoRA file
 * does not record d and k).
 *
 * <p>Definitions: the <em>threshold rank</em> counts singular values above {@code τ·σ_1}; the
 * <em>entropy rank</em> is {@code exp(−Σ p_i·ln p_i)} with {@code p_i = σ_i / Σ σ_j} (Roy and
 * Vetterli 2007), between 1 and the rank; the <em>amplification factor</em> is {@code ‖ΔW‖_F /
 * ‖U_rᵀ·W0·V_r‖_F} with U_r, V_r the top-r singular vectors of ΔW (LoRA paper §7.3); the
 * <em>subspace similarity</em> of two updates is {@code φ(i, j) = ‖V_iᵀ·V'_j‖_F² / min(i, j)} over
 * their top-i and top-j right singular vectors (LoRA paper §7.2), 1 when one subspace contains the
 * other and near 0 for unrelated ones.
 */
public final class AdapterAnalysis {

    /**
     * One module's analysis.
     *
     * @param path the module's path in the adapter
     * @param singularValues σ of ΔW, descending (at most the update's rank for LoRA, min(d, k) else)
     * @param thresholdRank the number of σ_i above τ·σ_1
     * @param entropyRank {@code exp(H(σ/Σσ))}
     * @param frobeniusNorm ‖ΔW‖_F
     * @param amplification ‖ΔW‖_F / ‖U_rᵀ W0 V_r‖_F, or {@code null} without base weights
     * @param topRightVectors the top-r right singular vectors of ΔW as columns (k, r), for φ
     */
    public record Module(
            String path,
            double[] singularValues,
            int thresholdRank,
            double entropyRank,
            double frobeniusNorm,
            Double amplification,
            DMatrixRMaj topRightVectors) {}

    /**
     * An adapter's analysis.
     *
     * @param adapter the adapter directory
     * @param method the adapter's method
     * @param threshold τ of the threshold rank
     * @param top r, the singular directions kept for the amplification factor and φ
     * @param modules the modules, in the file's order
     */
    public record Result(Path adapter, String method, double threshold, int top, List<Module> modules) {}

    private static final String LORA = "lora";

    private AdapterAnalysis() {}

    /**
     * Analyses an adapter.
     *
     * @param adapter the PEFT adapter directory
     * @param base the base weights (a safetensors file, or a model directory with {@code
     *     model.safetensors}), or {@code null} for plain LoRA without the amplification factor
     * @param threshold τ, in (0, 1)
     * @param top r for the amplification factor and φ, or {@code null} for the adapter's rank
     * @param plugins the registry the adapter's method is looked up in
     * @param manager computes ΔW
     * @return the analysis
     * @throws PeftException when the adapter is inconsistent, a method other than plain LoRA comes
     *     without base weights, the base is not a single safetensors file, or τ or r is out of range
     */
    public static Result analyze(
            Path adapter, Path base, double threshold, Integer top, Plugins plugins, NDManager manager) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new PeftException("The threshold must be in (0, 1), got " + threshold);
        }
        if (top != null && top <= 0) {
            throw new PeftException("The number of top singular directions must be positive, got " + top);
        }
        try (AdapterDirectory file = AdapterDirectory.open(adapter, plugins);
                NDManager scope = manager.newSubManager()) {
            if (!file.problems().isEmpty()) {
                throw new PeftException("Adapter " + adapter + " is inconsistent, so it is not analysed: "
                        + String.join("; ", file.problems()));
            }
            String method = file.method().factory().name();
            int r = top != null ? top : file.method().config().rank();
            List<Module> modules = base == null
                    ? fromFactors(file, method, threshold, r, scope)
                    : fromBase(file, base, plugins, threshold, r, scope);
            return new Result(adapter, method, threshold, r, modules);
        }
    }

    private static List<Module> fromFactors(
            AdapterDirectory file, String method, double threshold, int top, NDManager scope) {
        if (!LORA.equals(method)) {
            throw new PeftException("Adapter " + file.path() + " is " + method + ": its ΔW comes from the method and"
                    + " the base weights; pass the base model (--base) to analyse it");
        }
        List<Module> modules = new ArrayList<>();
        for (String path : file.modules().keySet()) {
            AdapterCombination.Factors factors =
                    AdapterCombination.Factors.read(file, new AdapterCombination.Source(file.path(), 1), path, scope);
            modules.add(module(path, LowRankSvd.decompose(List.of(factors)), threshold, top, null));
        }
        return modules;
    }

    private static List<Module> fromBase(
            AdapterDirectory file, Path base, Plugins plugins, double threshold, int top, NDManager scope) {
        List<Module> modules = new ArrayList<>();
        DeltaWeights.of(file, base, plugins, scope)
                .forEach((path, delta) ->
                        modules.add(module(path, LowRankSvd.of(delta.delta()), threshold, top, delta.baseWeight())));
        return modules;
    }

    private static Module module(String path, LowRankSvd.Svd svd, double threshold, int top, DMatrixRMaj baseWeight) {
        double[] sigma = svd.singularValues();
        double sum = 0;
        double squares = 0;
        int thresholdRank = 0;
        for (double s : sigma) {
            sum += s;
            squares += s * s;
            if (s > threshold * sigma[0]) {
                thresholdRank++;
            }
        }
        double entropy = 0;
        for (double s : sigma) {
            if (s > 0) {
                double p = s / sum;
                entropy -= p * Math.log(p);
            }
        }
        int size = Math.min(svd.u().numRows, svd.v().numRows);
        if (top > size) {
            throw new PeftException("--top " + top + " exceeds module " + path + "'s size (" + svd.u().numRows + ", "
                    + svd.v().numRows + "): give at most " + size + " directions");
        }
        int r = Math.min(top, sigma.length);
        DMatrixRMaj u = CommonOps_DDRM.extract(svd.u(), 0, svd.u().numRows, 0, r);
        DMatrixRMaj v = CommonOps_DDRM.extract(svd.v(), 0, svd.v().numRows, 0, r);
        double frobenius = Math.sqrt(squares);
        Double amplification = null;
        if (baseWeight != null) {
            DMatrixRMaj projected = new DMatrixRMaj(r, r);
            CommonOps_DDRM.multTransA(u, CommonOps_DDRM.mult(baseWeight, v, null), projected);
            amplification = frobenius / NormOps_DDRM.normF(projected);
        }
        return new Module(path, sigma, thresholdRank, sum > 0 ? Math.exp(entropy) : 0, frobenius, amplification, v);
    }

    /**
     * The normalized subspace similarity φ(i, j) of two modules' updates (LoRA paper §7.2), for i
     * and j up to each module's kept directions.
     *
     * @param a one module
     * @param b the same module in another adapter
     * @return φ, indexed [i − 1][j − 1]
     * @throws PeftException when the modules have different input sizes
     */
    public static double[][] subspaceSimilarity(Module a, Module b) {
        DMatrixRMaj va = a.topRightVectors();
        DMatrixRMaj vb = b.topRightVectors();
        if (va.numRows != vb.numRows) {
            throw new PeftException("Modules " + a.path() + " and " + b.path() + " have " + va.numRows + " and "
                    + vb.numRows + " inputs: compare the same module of two adapters");
        }
        DMatrixRMaj overlap = new DMatrixRMaj(va.numCols, vb.numCols);
        CommonOps_DDRM.multTransA(va, vb, overlap);
        double[][] phi = new double[va.numCols][vb.numCols];
        for (int i = 1; i <= va.numCols; i++) {
            for (int j = 1; j <= vb.numCols; j++) {
                double squares = 0;
                for (int x = 0; x < i; x++) {
                    for (int y = 0; y < j; y++) {
                        squares += overlap.get(x, y) * overlap.get(x, y);
                    }
                }
                phi[i - 1][j - 1] = squares / Math.min(i, j);
            }
        }
        return phi;
    }
}
