using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Concert.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Checkout : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PaymentItems",
                columns: table => new
                {
                    PaymentId = table.Column<long>(type: "bigint", nullable: false),
                    Line = table.Column<int>(type: "integer", nullable: false),
                    ReservationId = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PaymentItems", x => new { x.PaymentId, x.Line });
                    table.ForeignKey(
                        name: "FK_PaymentItems_Payments_PaymentId",
                        column: x => x.PaymentId,
                        principalTable: "Payments",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PaymentItems_Reservations_ReservationId",
                        column: x => x.ReservationId,
                        principalTable: "Reservations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PaymentItems_ReservationId",
                table: "PaymentItems",
                column: "ReservationId",
                unique: true);

            // Every existing payment paid one reservation: it becomes that payment's only line.
            migrationBuilder.Sql(
                "INSERT INTO \"PaymentItems\" (\"PaymentId\", \"Line\", \"ReservationId\") " +
                "SELECT \"Id\", 1, \"ReservationId\" FROM \"Payments\";");

            migrationBuilder.DropForeignKey(
                name: "FK_Payments_Reservations_ReservationId",
                table: "Payments");

            migrationBuilder.DropIndex(
                name: "IX_Payments_ReservationId",
                table: "Payments");

            migrationBuilder.DropColumn(
                name: "ReservationId",
                table: "Payments");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ReservationId",
                table: "Payments",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // Lossy: the old model has one reservation per payment; a payment of several keeps only its first.
            migrationBuilder.Sql(
                "UPDATE \"Payments\" SET \"ReservationId\" = (SELECT i.\"ReservationId\" FROM \"PaymentItems\" i " +
                "WHERE i.\"PaymentId\" = \"Payments\".\"Id\" AND i.\"Line\" = 1);");

            migrationBuilder.DropTable(
                name: "PaymentItems");

            migrationBuilder.CreateIndex(
                name: "IX_Payments_ReservationId",
                table: "Payments",
                column: "ReservationId",
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_Payments_Reservations_ReservationId",
                table: "Payments",
                column: "ReservationId",
                principalTable: "Reservations",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
