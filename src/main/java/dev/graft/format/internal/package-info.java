/**
 * Parsing primitives the format packages share: the work budget and deadline of a parse, positioned
 * channel reads, the rules for state-dict keys, the metadata budget and the order and size checks
 * of the writers. Public only so that sibling format packages can reach them; nothing outside
 * {@code dev.graft.format} may use them.
 */
package dev.graft.format.internal;
