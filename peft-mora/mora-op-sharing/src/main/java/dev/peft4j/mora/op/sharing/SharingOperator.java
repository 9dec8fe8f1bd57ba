package dev.peft4j.mora.op.sharing;

import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.CompressionOperator;

/**
 * {@code sharing}, kongds/MoRA's {@code mora_type} 1 and the paper's Eq. 6, the default MoRA
 * operator: cyclic compression {@code c_j = Σ_t x̃_{t·r̂+j}} (the input padded cyclically with its
 * own first entries) and tiled decompression {@code out_o = y_{o mod r̂}}. {@code ΔW[o][i] =
 * Σ_{p < n_k·r̂, p ≡ i (mod k)} M[o mod r̂][p mod r̂]}. Shapes with r̂ &gt; 2k need {@code
 * generalized=true}.
 */
@AutoService(CompressionOperator.class)
public final class SharingOperator extends SharingFamily {

    /** The registry name. */
    public static final String NAME = "sharing";

    /** Creates the operator. */
    public SharingOperator() {
        super(NAME, 1, Compressor.CYCLIC, Decompressor.TILE);
    }
}
