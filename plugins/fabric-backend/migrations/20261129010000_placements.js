// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fabric_placements', table => {
    table.comment('Placement decisions: one per request, with reasons, cost and compiled artifacts');
    table.string('id', 36).primary().comment('Placement id (UUID)');
    table.string('entity_ref', 512).notNullable().comment('The workload entity the placement is for');
    table.string('intent', 32).notNullable().comment('throughput, tightly-coupled or balanced');
    table.string('status', 32).notNullable().comment('placed, cannot-place-now or refused');
    table.string('created_by', 512).notNullable().comment('Entity ref of the user or service that asked');
    table.timestamp('created_at', { useTz: true }).notNullable().comment('When the placement was planned');
    table.integer('inventory_snapshot').nullable().comment('Inventory snapshot the decision was made on');
    table.text('placement').notNullable().comment('The placement, its reasons and compiled artifacts, as JSON');
    table.index(['entity_ref', 'created_at'], 'fabric_placements_entity_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fabric_placements');
};
