"""Printed outputs of the center: official forms, ledgers and reports as PDF (and the
shared pieces they are built from). Each report module owns its own data query; this
package only knows how to lay a page out."""
