// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fabric_inventory_snapshots', table => {
    table.comment('Timestamped snapshots of every offering in the estate');
    table.increments('id').primary().comment('Snapshot id, increasing with time');
    table.string('source', 16).notNullable().comment('demo or aws');
    table.timestamp('taken_at', { useTz: true }).notNullable().comment('When discovery finished');
    table.integer('cell_count').notNullable().comment('Cells in the snapshot');
    table.integer('stale_cell_count').notNullable().comment('Cells whose discovery failed');
    table.integer('offering_count').notNullable().comment('Offerings in the snapshot');
    table.text('inventory').notNullable().comment('The inventory as JSON');
    table.index(['taken_at'], 'fabric_inventory_snapshots_taken_at_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fabric_inventory_snapshots');
};
