/**
 * The MoRA paper's decoupling operator ({@link dev.peft4j.mora.op.decouple.DecoupleOperator}):
 * reshape the input into r̂-blocks, apply M to each and concatenate; type 6 without the rotation.
 */
package dev.peft4j.mora.op.decouple;
