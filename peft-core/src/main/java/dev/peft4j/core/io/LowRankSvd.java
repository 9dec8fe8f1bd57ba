package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.PeftException;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
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
     * The truncated SVD of the weighted sum of the updates.
     *
     * @param factors each source's factors and weight
     * @param rank R
     * @return A = V_Rᵀ (R, k) and B = U_R·Σ_R (d, R), float32, in the first factor's manager
     * @throws PeftException when R exceeds d or k
     */
    static NDList truncated(List<AdapterCombination.Factors> factors, int rank) {
        AdapterCombination.Factors first = factors.get(0);
        int d = Math.toIntExact(first.b().getShape().get(0));
        int k = Math.toIntExact(first.a().getShape().get(1));
        if (rank > Math.min(d, k)) {
            throw new PeftException("The SVD rank " + rank + " exceeds the module's size (" + d + ", " + k + ")");
        }
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
        DMatrixRMaj u;
        double[] singular;
        DMatrixRMaj v;
        if (m <= Math.min(d, k)) {
            DMatrixRMaj[] qrB = thinQr(stackedB);
            DMatrixRMaj[] qrA = thinQr(CommonOps_DDRM.transpose(stackedA, null));
            DMatrixRMaj core = new DMatrixRMaj(m, m);
            CommonOps_DDRM.multTransB(qrB[1], qrA[1], core);
            SingularValueDecomposition_F64<DMatrixRMaj> svd = svd(core);
            u = CommonOps_DDRM.mult(qrB[0], svd.getU(null, false), null);
            v = CommonOps_DDRM.mult(qrA[0], svd.getV(null, false), null);
            singular = svd.getSingularValues();
        } else {
            SingularValueDecomposition_F64<DMatrixRMaj> svd = svd(CommonOps_DDRM.mult(stackedB, stackedA, null));
            u = svd.getU(null, false);
            v = svd.getV(null, false);
            singular = svd.getSingularValues();
        }
        return factorsOf(u, singular, v, rank, first.a().getManager());
    }

    private static SingularValueDecomposition_F64<DMatrixRMaj> svd(DMatrixRMaj matrix) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(matrix.numRows, matrix.numCols, true, true, true);
        if (!svd.decompose(matrix.copy())) {
            throw new PeftException("The SVD of the combined update did not converge");
        }
        return svd;
    }

    /** Q (rows, cols) and R (cols, cols) of a matrix with rows ≥ cols. */
    private static DMatrixRMaj[] thinQr(DMatrixRMaj matrix) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(matrix.numRows, matrix.numCols);
        if (!qr.decompose(matrix.copy())) {
            throw new PeftException("The QR decomposition of the stacked factors failed");
        }
        return new DMatrixRMaj[] {qr.getQ(null, true), qr.getR(null, true)};
    }

    /** B = U_R·Σ_R and A = V_Rᵀ, with the singular values in descending order. */
    private static NDList factorsOf(DMatrixRMaj u, double[] singular, DMatrixRMaj v, int rank, NDManager manager) {
        Integer[] order = new Integer[singular.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(singular[y], singular[x]));
        int d = u.numRows;
        int k = v.numRows;
        float[] b = new float[d * rank];
        float[] a = new float[rank * k];
        for (int j = 0; j < Math.min(rank, order.length); j++) {
            int column = order[j];
            for (int i = 0; i < d; i++) {
                b[i * rank + j] = (float) (u.get(i, column) * singular[column]);
            }
            for (int i = 0; i < k; i++) {
                a[j * k + i] = (float) v.get(i, column);
            }
        }
        return new NDList(manager.create(a, new Shape(rank, k)), manager.create(b, new Shape(d, rank)));
    }

    private static DMatrixRMaj matrix(NDArray array) {
        Shape shape = array.getShape();
        float[] values = array.toFloatArray();
        DMatrixRMaj matrix = new DMatrixRMaj(Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)));
        for (int i = 0; i < values.length; i++) {
            matrix.data[i] = values[i];
        }
        return matrix;
    }
}
