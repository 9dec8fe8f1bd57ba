/**
 * kongds/MoRA's rotation operator, {@code mora_type} 6 ({@link
 * dev.peft4j.mora.op.rotation.RotationOperator}): decoupled blocks with a RoPE rotation each,
 * recommended by kongds/MoRA for small ranks.
 */
package dev.peft4j.mora.op.rotation;
