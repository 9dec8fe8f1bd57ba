package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.PeftException;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRPDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The best rank-R approximation (Eckart–Young) of {@code ΔW = Σ w_i·s_i·B_i·A_i} as LoRA factors,
 * in double precision. ΔW is the product of the stacked factors {@code B = [B_1 …]} (d, m) and
 * {@code A = [w_1·s_1·A_1; …]} (m, k), m = Σ r_i; with thin QRs {@code B = Q_B·R_B} and {@code Aᵀ =
 * Q_A·R_A}, {@code ΔW = Q_B·(R_B·R_Aᵀ)·Q_Aᵀ}, so the SVD of the m × m core gives ΔW's, in O((d + k)·m²)
 * work (a direct SVD when m exceeds d or k).
 */
final class LowRankSvd {

    private LowRankSvd() {}

    /**
     * A singular value decomposition {@code M = U·diag(σ)·Vᵀ}, σ in descending order.
     *
     * @param u the left singular vectors as columns (d, n)
     * @param singularValues σ (n)
     * @param v the right singular vectors as columns (k, n)
     */
    record Svd(DMatrixRMaj u, double[] singularValues, DMatrixRMaj v) {}

    /**
     * The truncated SVD of the weighted sum of the updates, at rank min(R, Σ r_i): the sum has no
     * more singular directions than that.
     *
     * @param module the module's path, for errors
     * @param factors each source's factors and weight
     * @param rank R
     * @return A = V_Rᵀ (R', k) and B = U_R·Σ_R (d, R'), R' = min(R, Σ r_i), float32, in the first
     *     factor's manager
     * @throws PeftException when R exceeds d or k
     */
    static NDList truncated(String module, List<AdapterCombination.Factors> factors, int rank) {
        AdapterCombination.Factors first = factors.get(0);
        int d = Math.toIntExact(first.b().getShape().get(0));
        int k = Math.toIntExact(first.a().getShape().get(1));
        requireRankFits(module, rank, d, k);
        int sumOfRanks =
                factors.stream().mapToInt(AdapterCombination.Factors::rank).sum();
        return factors(decompose(factors), Math.min(rank, sumOfRanks), first.a().getManager());
    }

    /**
     * Checks that a module of size (d, k) has R singular directions.
     *
     * @param module the module's path, for the message
     * @param rank R
     * @param d the output size
     * @param k the input size
     * @throws PeftException when R exceeds d or k
     */
    static void requireRankFits(String module, int rank, int d, int k) {
        if (rank > Math.min(d, k)) {
            throw new PeftException("The SVD rank " + rank + " exceeds module " + module + "'s size (" + d + ", " + k
                    + "): give --rank ≤ " + Math.min(d, k));
        }
    }

    /**
     * The SVD of {@code Σ w_i·s_i·B_i·A_i}, from the stacked factors.
     *
     * @param factors each source's factors and weight
     * @return the decomposition, at most m = Σ r_i singular values
     */
    static Svd decompose(List<AdapterCombination.Factors> factors) {
        AdapterCombination.Factors first = factors.get(0);
        int d = Math.toIntExact(first.b().getShape().get(0));
        int k = Math.toIntExact(first.a().getShape().get(1));
        int m = factors.stream().mapToInt(AdapterCombination.Factors::rank).sum();
        DMatrixRMaj stackedB = new DMatrixRMaj(d, m);
        DMatrixRMaj stackedA = new DMatrixRMaj(m, k);
        int offset = 0;
        for (AdapterCombination.Factors f : factors) {
            DMatrixRMaj b = matrix(f.b());
            DMatrixRMaj a = matrix(f.a());
            CommonOps_DDRM.scale(f.weight() * f.scaling(), a);
            CommonOps_DDRM.insert(b, stackedB, 0, offset);
            CommonOps_DDRM.insert(a, stackedA, offset, 0);
            offset += f.rank();
        }
        if (m > Math.min(d, k)) {
            return of(CommonOps_DDRM.mult(stackedB, stackedA, null));
        }
        DMatrixRMaj[] qrB = thinQr(stackedB);
        DMatrixRMaj[] qrA = thinQr(CommonOps_DDRM.transpose(stackedA, null));
        DMatrixRMaj core = new DMatrixRMaj(m, m);
        CommonOps_DDRM.multTransB(qrB[1], qrA[1], core);
        Svd small = of(core);
        return new Svd(
                CommonOps_DDRM.mult(qrB[0], small.u(), null),
                small.singularValues(),
                CommonOps_DDRM.mult(qrA[0], small.v(), null));
    }

    /**
     * The SVD of a dense matrix, σ in descending order.
     *
     * @param matrix the matrix
     * @return the decomposition, min(rows, cols) singular values
     * @throws PeftException when it does not converge
     */
    static Svd of(DMatrixRMaj matrix) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = svd(matrix);
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[] singular = new double[Math.min(w.numRows, w.numCols)];
        for (int i = 0; i < singular.length; i++) {
            singular[i] = w.get(i, i);
        }
        return new Svd(u, singular, v);
    }

    private static SingularValueDecomposition_F64<DMatrixRMaj> svd(DMatrixRMaj matrix) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(matrix.numRows, matrix.numCols, true, true, true);
        if (!svd.decompose(matrix.copy())) {
            throw new PeftException("The SVD of the combined update did not converge");
        }
        return svd;
    }

    /**
     * Q (rows, cols) and R·Pᵀ (cols, cols) of a matrix with rows ≥ cols, from the column-pivoting QR
     * {@code matrix·P = Q·R}: it also holds for rank-deficient factors (a zero weight, zero rows of an
     * untrained B).
     */
    private static DMatrixRMaj[] thinQr(DMatrixRMaj matrix) {
        QRPDecomposition_F64<DMatrixRMaj> qr = DecompositionFactory_DDRM.qrp(matrix.numRows, matrix.numCols);
        if (!qr.decompose(matrix.copy())) {
            throw new PeftException("The QR decomposition of the stacked factors failed");
        }
        DMatrixRMaj r = CommonOps_DDRM.multTransB(qr.getR(null, true), qr.getColPivotMatrix(null), null);
        return new DMatrixRMaj[] {qr.getQ(null, true), r};
    }

    /**
     * The rank-R LoRA factors of a decomposition: B = U_R·Σ_R and A = V_Rᵀ; ranks beyond the
     * decomposition's are zero.
     *
     * @param svd the decomposition
     * @param rank R
     * @param manager owns the factors
     * @return A (R, k) and B (d, R), float32
     */
    static NDList factors(Svd svd, int rank, NDManager manager) {
        int d = svd.u().numRows;
        int k = svd.v().numRows;
        float[] b = new float[d * rank];
        float[] a = new float[rank * k];
        for (int j = 0; j < Math.min(rank, svd.singularValues().length); j++) {
            for (int i = 0; i < d; i++) {
                b[i * rank + j] = (float) (svd.u().get(i, j) * svd.singularValues()[j]);
            }
            for (int i = 0; i < k; i++) {
                a[j * k + i] = (float) svd.v().get(i, j);
            }
        }
        return new NDList(manager.create(a, new Shape(rank, k)), manager.create(b, new Shape(d, rank)));
    }

    /** A 2-D array as a double matrix. */
    static DMatrixRMaj matrix(NDArray array) {
        Shape shape = array.getShape();
        float[] values = array.toFloatArray();
        DMatrixRMaj matrix = new DMatrixRMaj(Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)));
        for (int i = 0; i < values.length; i++) {
            matrix.data[i] = values[i];
        }
        return matrix;
    }
}
