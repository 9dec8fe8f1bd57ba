package dev.peft4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Plain-Java dense matrices in double precision: the independent reference that tests compare the
 * engines' results with.
 */
public final class Dense {

    private Dense() {}

    /**
     * A matrix of normal random values.
     *
     * @param random the source
     * @param rows rows
     * @param cols columns
     * @return the matrix
     */
    public static double[][] random(Random random, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return m;
    }

    /**
     * The product a·b.
     *
     * @param a (n, m)
     * @param b (m, p)
     * @return (n, p)
     */
    public static double[][] matmul(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int t = 0; t < b.length; t++) {
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += a[i][t] * b[t][j];
                }
            }
        }
        return c;
    }

    /**
     * The transpose.
     *
     * @param a (n, m)
     * @return (m, n)
     */
    public static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /**
     * The sum a + s·b.
     *
     * @param a a matrix
     * @param s a factor
     * @param b a matrix of a's shape
     * @return the sum
     */
    public static double[][] add(double[][] a, double s, double[][] b) {
        double[][] c = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                c[i][j] = a[i][j] + s * b[i][j];
            }
        }
        return c;
    }

    /**
     * Adds a row vector to every row.
     *
     * @param a (n, m)
     * @param row (m)
     * @return a + row
     */
    public static double[][] addRow(double[][] a, double[] row) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
            for (int j = 0; j < row.length; j++) {
                c[i][j] += row[j];
            }
        }
        return c;
    }

    /**
     * A float32 array on a manager.
     *
     * @param manager the owner
     * @param m the values
     * @return the array of m's shape
     */
    public static NDArray toArray(NDManager manager, double[][] m) {
        float[] flat = new float[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                flat[i * m[0].length + j] = (float) m[i][j];
            }
        }
        return manager.create(flat, new Shape(m.length, m[0].length));
    }

    /**
     * Reads a 2-D array back.
     *
     * @param array a 2-D array
     * @return its values
     */
    public static double[][] fromArray(NDArray array) {
        int rows = Math.toIntExact(array.getShape().get(0));
        int cols = Math.toIntExact(array.getShape().get(1));
        float[] flat =
                array.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[i][j] = flat[i * cols + j];
            }
        }
        return m;
    }

    /**
     * Rounds values to float32, as they are once stored in an engine's array.
     *
     * @param m the values
     * @return the rounded copy
     */
    public static double[][] roundToFloat(double[][] m) {
        double[][] c = new double[m.length][m[0].length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                c[i][j] = (float) m[i][j];
            }
        }
        return c;
    }

    /**
     * Asserts two matrices agree elementwise within an absolute tolerance.
     *
     * @param expected the reference
     * @param actual the engine's result
     * @param tolerance the largest allowed |difference|
     * @param what what is compared, for the failure message
     */
    public static void assertClose(double[][] expected, double[][] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": rows");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].length, actual[i].length, what + ": columns");
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(expected[i][j], actual[i][j], tolerance, what + " at [" + i + "][" + j + "]");
            }
        }
    }

    /**
     * The largest |value|, at least 1: the scale relative tolerances are taken against.
     *
     * @param m a matrix
     * @return max(1, max |m[i][j]|)
     */
    public static double scale(double[][] m) {
        double max = 1;
        for (double[] row : m) {
            for (double v : row) {
                max = Math.max(max, Math.abs(v));
            }
        }
        return max;
    }

    /**
     * The largest |a − b| over all elements.
     *
     * @param a a matrix
     * @param b a matrix of a's shape
     * @return the largest difference
     */
    public static double maxDifference(double[][] a, double[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }
}
