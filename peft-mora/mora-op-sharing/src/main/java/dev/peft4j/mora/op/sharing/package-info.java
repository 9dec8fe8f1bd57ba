/**
 * kongds/MoRA's sharing operators, {@code mora_type} 1 to 4 (docs/math.md §4.3), each {@code ΔW = D·M·C}
 * with a compression C (cyclic or contiguous input groups) and a decompression D (tiled or
 * interleaved outputs):
 *
 * <table>
 *   <caption>Operators</caption>
 *   <tr><th>name</th><th>mora_type</th><th>compression</th><th>decompression</th></tr>
 *   <tr><td>{@code sharing}</td><td>1</td><td>cyclic</td><td>tile</td></tr>
 *   <tr><td>{@code sharing-contiguous}</td><td>2</td><td>contiguous</td><td>interleave</td></tr>
 *   <tr><td>{@code sharing-contiguous-tile}</td><td>3</td><td>contiguous</td><td>tile</td></tr>
 *   <tr><td>{@code sharing-cyclic-interleave}</td><td>4</td><td>cyclic</td><td>interleave</td></tr>
 * </table>
 *
 * <p>ReMoRA cycles through them (1 → 2 → 3 → 4 → 1) so that each new M adds an update with a
 * different sharing pattern. The cyclic compression pads the input with its own first entries; for
 * r̂ &gt; 2k, where kongds/MoRA fails, {@code generalized=true} pads with {@code x_{p mod k}}.
 */
package dev.peft4j.mora.op.sharing;
