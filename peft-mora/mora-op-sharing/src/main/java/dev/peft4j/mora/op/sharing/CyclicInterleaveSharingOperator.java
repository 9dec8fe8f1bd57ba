package dev.peft4j.mora.op.sharing;

import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.CompressionOperator;

/**
 * {@code sharing-cyclic-interleave}, kongds/MoRA's {@code mora_type} 4: cyclic input sums (as type
 * 1) and interleaved outputs (as type 2). {@code ΔW[o][i] = Σ_{p < n_k·r̂, p ≡ i (mod k)}
 * M[g_d(o)][p mod r̂]}. Shapes with r̂ &gt; 2k need {@code generalized=true}.
 */
@AutoService(CompressionOperator.class)
public final class CyclicInterleaveSharingOperator extends SharingFamily {

    /** The registry name. */
    public static final String NAME = "sharing-cyclic-interleave";

    /** Creates the operator. */
    public CyclicInterleaveSharingOperator() {
        super(NAME, 4, Compressor.CYCLIC, Decompressor.INTERLEAVE);
    }
}
