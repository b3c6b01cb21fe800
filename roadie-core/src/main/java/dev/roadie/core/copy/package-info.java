/** Copying snapshots from one repository into another (second region, disaster recovery). */
package dev.roadie.core.copy;
